"""Cross-border flight permits (issued by the other state's authority, recorded on an incident).

A permit relaxes exactly one rule, the border rule, and only for a mission whose whole sampled path lies
inside the permit's area at the planned time. Zone rules never look at permits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from missions.path import FloatArray


@dataclass(frozen=True)
class CrossBorderPermit:
    reference: str
    area: BaseGeometry
    """WGS84 lon/lat polygon."""
    valid_from: datetime
    valid_until: datetime

    def covers(self, lon: FloatArray, lat: FloatArray, at: datetime | None) -> bool:
        """True when valid at ``at`` (an unknown time is never covered) and every point is inside."""
        if at is None or not (self.valid_from <= at < self.valid_until):
            return False
        if lon.size == 0:
            return False
        return bool(np.all(shapely.covers(self.area, shapely.points(lon, lat))))
