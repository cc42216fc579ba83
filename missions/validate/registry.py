"""The rule set as data: each rule is an object with an id, a reason and a pure check function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from missions.validate.context import RuleContext
from missions.validate.report import RuleId, Violation
from missions.validate.rules_airspace import check_border, check_zones
from missions.validate.rules_checked import (
    check_altitude_reference,
    check_coverage,
    check_home_altitude,
    check_unchecked,
)
from missions.validate.rules_flight import check_endurance, check_vlos
from missions.validate.rules_height import check_ceiling, check_clearance, check_terrain_quality
from missions.validate.rules_structure import check_structure


@dataclass(frozen=True)
class Rule:
    rule_id: RuleId
    description: str
    check: Callable[[RuleContext], list[Violation]]


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        RuleId.STRUCTURE,
        "take-off first, RTL or landing last, no repeats or unknown commands",
        check_structure,
    ),
    Rule(
        RuleId.UNCHECKED,
        "every command is known to the command table and its effect on the path is modelled",
        check_unchecked,
    ),
    Rule(RuleId.DATA_COVERAGE, "zone and border data cover every point of the path", check_coverage),
    Rule(
        RuleId.ALTITUDE_REFERENCE,
        "heights above terrain resolvable on precise terrain; no terrain frame on PX4",
        check_altitude_reference,
    ),
    Rule(RuleId.HOME_ALTITUDE, "declared home altitude agrees with precise terrain", check_home_altitude),
    Rule(RuleId.ZONES, "UAS geographical zones along the sampled 3D path at the planned time", check_zones),
    Rule(RuleId.BORDER, "CZ-PL border crossings need a cross-border authorisation", check_border),
    Rule(
        RuleId.TERRAIN_QUALITY, "terrain approximate (one warning) or unknown (error)", check_terrain_quality
    ),
    Rule(RuleId.HEIGHT_CEILING, "at most 120 m above terrain (open) or the approved ceiling", check_ceiling),
    Rule(
        RuleId.TERRAIN_CLEARANCE, "minimum height above terrain outside take-off and landing", check_clearance
    ),
    Rule(
        RuleId.ENDURANCE,
        "estimated flight time within battery minus reserve; wind within limits",
        check_endurance,
    ),
    Rule(RuleId.VLOS, "distance from the pilot within visual line of sight (open category)", check_vlos),
)
