"""Schemathesis over the station's OpenAPI schema, in process (issue 9, point 8).

A real station (SQLite file, bus, region, no vehicle links) answers every operation of its own schema
with generated requests, as an admin (who may call everything) and without a token. The property is
the one an outside caller may rely on: no 5xx, and no hang (pytest-timeout per operation). 503 is a
documented answer only where the station says why (region not loaded, store locked); here neither
happens, so any 5xx is a finding. Examples are deterministic (derandomised) and few per operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from ground_station.app import create_app, no_links
from tests.ground_station.test_api_support import Station, running_station, station_settings

pytestmark = pytest.mark.timeout(180)

EXAMPLES = max(1, int(5 * float(os.environ.get("FUZZ_EXAMPLES", "1"))))  # per operation; CI time budget

# The schema is the app's own; it is built without starting the app (no lifespan needed).
schema = schemathesis.openapi.from_dict(
    create_app(station_settings(Path("/nonexistent")), links_factory=no_links, region_loader=None).openapi()
)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    with running_station(tmp_path_factory.mktemp("schemathesis")) as running:
        yield running


def _call(station: Station, case: schemathesis.Case, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("timeout", None)
    kwargs.pop("allow_redirects", None)
    if "data" in kwargs and isinstance(kwargs["data"], bytes | str):
        kwargs["content"] = kwargs.pop("data")
    response = station.client.request(**kwargs)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
    )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_as_admin(case: schemathesis.Case, station: Station) -> None:
    _call(station, case, station.tokens["admin"])


@schema.parametrize()
@settings(
    max_examples=3, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_no_server_error_without_a_token(case: schemathesis.Case, station: Station) -> None:
    _call(station, case, None)
