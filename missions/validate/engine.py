"""Runs the rule set over a mission: structure first, then everything that needs a well-defined path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from missions.model import Mission, utc_start
from missions.region import RegionLike
from missions.validate.context import RuleConfig, RuleContext
from missions.validate.permits import CrossBorderPermit
from missions.validate.registry import DEFAULT_RULES, Rule
from missions.validate.report import ValidationReport, Violation
from missions.validate.rules_checked import check_record
from missions.validate.rules_structure import geometry_problems, sequence_problems


def validate(
    mission: Mission,
    region: RegionLike,
    *,
    at: datetime | None = None,
    rules: RuleConfig | None = None,
    rule_set: Sequence[Rule] = DEFAULT_RULES,
    permits: Sequence[CrossBorderPermit] = (),
) -> ValidationReport:
    """Checks ``mission`` against the region's zones, border and terrain.

    ``at`` (timezone-aware) overrides the mission's planned start for zone applicability. A mission whose
    coordinates or altitudes are not numbers gets only structural errors: checking a path that does not
    exist would report nonsense. ``permits`` (cross-border flight permits of active incidents) relax the
    border rule, and only it, for a mission entirely inside one of them.
    """
    if at is not None and at.utcoffset() is None:
        raise ValueError("validate(at=...) needs a timezone-aware time (UTC)")
    config = rules or RuleConfig()
    broken = geometry_problems(mission, config)
    if broken:
        return ValidationReport(violations=[*broken, *sequence_problems(mission)])
    ctx = RuleContext(mission, region, utc_start(mission, at), config, permits)
    found: list[Violation] = []
    for rule in rule_set:
        found.extend(rule.check(ctx))
    return ValidationReport(violations=found, checked=check_record(ctx))
