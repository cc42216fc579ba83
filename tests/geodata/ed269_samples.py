"""Small hand-written ED-269 documents for import tests (the real authority files are in shared data).

Written out as an authority would publish them, not through ``dump_ed269``, so an import test does not
depend on the exporter it could share a bug with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def ed269_circle_zone(
    identifier: str,
    name: str,
    center: Sequence[float],
    radius_m: float,
    *,
    restriction: str = "PROHIBITED",
    reason: str = "SENSITIVE",
    upper_m: float | None,
    upper_ref: str = "AMSL",
) -> dict[str, Any]:
    """One permanent CZE zone: a circle from the ground up to ``upper_m`` (None: unlimited)."""
    return {
        "identifier": identifier,
        "country": "CZE",
        "name": name,
        "type": "COMMON",
        "restriction": restriction,
        "reason": [reason],
        "applicability": [{"permanent": "YES"}],
        "geometry": [
            {
                "uomDimensions": "M",
                "lowerLimit": 0,
                "lowerVerticalReference": "AGL",
                "upperLimit": upper_m,
                "upperVerticalReference": upper_ref,
                "horizontalProjection": {"type": "Circle", "center": list(center), "radius": radius_m},
            }
        ],
    }
