"""UAS geographical zones and airspace: one typed model, importers for ED-269/ED-318/OpenAir/mapped
GeoJSON, ED-269 export, and an STRtree index for point, bulk, path and area queries."""

from geodata.zones.ed269 import dump_ed269, load_ed269
from geodata.zones.ed318 import load_ed318
from geodata.zones.geojson_mapped import CZ_DRONEMAP, PL_PANSA_AIRSPACE, FieldMapping, load_mapped_geojson
from geodata.zones.index import BulkHits, PathHit, ZoneHit, ZoneIndex
from geodata.zones.load import ZoneFormat, load_zones, sniff_format
from geodata.zones.model import (
    AltitudeLimit,
    Applicability,
    Authority,
    Circle,
    DailyPeriod,
    ImportResult,
    Restriction,
    TimeWindow,
    Weekday,
    Zone,
    ZoneVolume,
)
from geodata.zones.openair import load_openair

__all__ = [
    "CZ_DRONEMAP",
    "PL_PANSA_AIRSPACE",
    "AltitudeLimit",
    "Applicability",
    "Authority",
    "BulkHits",
    "Circle",
    "DailyPeriod",
    "FieldMapping",
    "ImportResult",
    "PathHit",
    "Restriction",
    "TimeWindow",
    "Weekday",
    "Zone",
    "ZoneFormat",
    "ZoneHit",
    "ZoneIndex",
    "ZoneVolume",
    "dump_ed269",
    "load_ed269",
    "load_ed318",
    "load_mapped_geojson",
    "load_openair",
    "load_zones",
    "sniff_format",
]
