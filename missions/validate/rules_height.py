"""Height above the terrain along the whole path (not only at waypoints), and how much the terrain can be
trusted (design contract 2: approximate terrain warns once, unknown terrain is an error).
"""

from __future__ import annotations

import numpy as np

from missions.model import OperationCategory
from missions.validate.context import PRECISE_TERRAIN_LIMIT_M, RuleContext
from missions.validate.messages import Msg
from missions.validate.report import RuleId, Severity, Violation, violation
from missions.validate.rules_checked import home_is_wrong
from missions.validate.runs import worst_in_runs

_EPS = 1e-6


def _ceiling(ctx: RuleContext) -> tuple[float, Msg]:
    """The approved ceiling in the specific category, else the open category's 120 m."""
    m = ctx.mission
    if m.category is OperationCategory.SPECIFIC and m.approved_ceiling_agl_m is not None:
        return float(m.approved_ceiling_agl_m), Msg.ABOVE_APPROVED_CEILING
    return ctx.config.open_ceiling_agl_m, Msg.ABOVE_OPEN_CEILING


def check_ceiling(ctx: RuleContext) -> list[Violation]:
    """Above the open-category 120 m (or the approved ceiling) anywhere: one error per stretch."""
    if home_is_wrong(ctx):
        return []  # the home altitude error says it: heights built on a wrong home would only mislead
    ceiling, message = _ceiling(ctx)
    agl = ctx.alt_agl_m
    with np.errstate(invalid="ignore"):
        over = np.asarray(agl > ceiling + _EPS, dtype=np.bool_)
    return [
        violation(
            RuleId.HEIGHT_CEILING,
            Severity.ERROR,
            message,
            where=ctx.sample_where(worst),
            agl=float(agl[worst]),
            ceiling=ceiling,
        )
        for _start, _stop, worst in worst_in_runs(over, agl, largest=True)
    ]


def check_clearance(ctx: RuleContext) -> list[Violation]:
    """Closer to the terrain than the minimum outside take-off and landing: one error per stretch."""
    if home_is_wrong(ctx):
        return []
    minimum = ctx.config.min_clearance_agl_m
    agl = ctx.alt_agl_m
    with np.errstate(invalid="ignore"):
        low = np.asarray(ctx.cruise_mask & (agl < minimum - _EPS), dtype=np.bool_)
    return [
        violation(
            RuleId.TERRAIN_CLEARANCE,
            Severity.ERROR,
            Msg.CLEARANCE_LOW,
            where=ctx.sample_where(worst),
            agl=float(agl[worst]),
            minimum=minimum,
        )
        for _start, _stop, worst in worst_in_runs(low, agl, largest=False)
    ]


def check_terrain_quality(ctx: RuleContext) -> list[Violation]:
    """The one terrain note per mission: unknown somewhere is an error, approximate is one warning."""
    ground = ctx.ground_amsl_m
    if ground.size == 0:
        return []
    accuracy = ctx.ground_accuracy_m
    unknown = np.isnan(ground) | np.isnan(accuracy)  # flat ground stands in for terrain nobody measured
    if unknown.any():
        first = int(np.flatnonzero(unknown)[0])
        return [
            violation(
                RuleId.TERRAIN_QUALITY,
                Severity.ERROR,
                Msg.TERRAIN_UNKNOWN,
                where=ctx.sample_where(first),
                count=int(unknown.sum()),
            )
        ]
    worst = float(np.max(accuracy))
    if worst > PRECISE_TERRAIN_LIMIT_M:
        return [violation(RuleId.TERRAIN_QUALITY, Severity.WARNING, Msg.TERRAIN_APPROXIMATE, accuracy=worst)]
    return []
