"""Mission validation: small pure rules over a vectorised view of the flight path."""

from missions.validate.context import RuleConfig, RuleContext
from missions.validate.engine import validate
from missions.validate.messages import Lang, Msg
from missions.validate.permits import CrossBorderPermit
from missions.validate.registry import DEFAULT_RULES, Rule
from missions.validate.report import CheckRecord, LegCheck, RuleId, Severity, ValidationReport, Violation

__all__ = [
    "DEFAULT_RULES",
    "CheckRecord",
    "CrossBorderPermit",
    "Lang",
    "LegCheck",
    "Msg",
    "Rule",
    "RuleConfig",
    "RuleContext",
    "RuleId",
    "Severity",
    "ValidationReport",
    "Violation",
    "validate",
]
