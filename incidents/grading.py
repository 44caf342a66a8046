"""Pure rules of plan §1.5 and DOMAIN.md: the legal grade of an incident and the suggested
response level. No database here; tests exercise every boundary.

Chinese legal usage: "以上" includes the number, "以下" excludes it. So "3人以上、10人以下死亡"
is 3–9 deaths, and "3人以下死亡" (一般) is 0–2.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from incidents.choices import Grade, ResponseLevel
from zezhou_heat import figures

GRADE_ORDER = [Grade.GENERAL, Grade.LARGER, Grade.MAJOR, Grade.ESPECIALLY_MAJOR]

# Lowest value of each figure that reaches a grade (以上: inclusive), highest grade first.
THRESHOLDS = [
    (Grade.ESPECIALLY_MAJOR, {"deaths": 30, "serious_injuries": 100, "direct_loss": 100_000_000}),
    (Grade.MAJOR, {"deaths": 10, "serious_injuries": 50, "direct_loss": 50_000_000}),
    (Grade.LARGER, {"deaths": 3, "serious_injuries": 10, "direct_loss": 10_000_000}),
]
CRITERIA = ("deaths", "serious_injuries", "direct_loss")


@dataclass(frozen=True)
class Grading:
    grade: Grade
    criterion: str  # which figure decided it: one of CRITERIA, or "" when none reached 较大
    threshold: int  # the "以上" value that figure reached (0 for 一般)


def grade_incident(*, deaths, serious_injuries, direct_loss):
    figures = {"deaths": deaths, "serious_injuries": serious_injuries,
               "direct_loss": Decimal(direct_loss)}
    for name, value in figures.items():
        if value < 0:
            raise ValueError(f"{name} must not be negative")
    for grade, minimums in THRESHOLDS:
        for criterion in CRITERIA:
            if figures[criterion] >= minimums[criterion]:
                return Grading(grade, criterion, minimums[criterion])
    return Grading(Grade.GENERAL, "", 0)


def basis(grade_and_criterion):
    """Why an incident has its grade, in words: "死亡3人以上" for the figure that decided it;
    for 一般, that every figure stays below 较大 ("死亡少于3人、重伤少于10人、直接经济损失少于
    1000万元")."""
    grade, criterion = grade_and_criterion
    minimums = dict(THRESHOLDS)
    if criterion and grade in minimums:
        threshold = minimums[grade][criterion]
        return {"deaths": _("%(count)s or more deaths"),
                "serious_injuries": _("%(count)s or more serious injuries"),
                "direct_loss": _("direct loss of %(count)s or more")}[criterion] % {
            "count": figures.money(threshold) if criterion == "direct_loss"
            else figures.amount(threshold)}
    larger = minimums[Grade.LARGER]
    return _("fewer than %(deaths)s deaths, fewer than %(injuries)s serious injuries and a "
             "direct loss below %(loss)s") % {
        "deaths": larger["deaths"], "injuries": larger["serious_injuries"],
        "loss": figures.money(larger["direct_loss"])}


def grade_rank(grade):
    return GRADE_ORDER.index(grade)


@dataclass(frozen=True)
class Suggestion:
    level: ResponseLevel
    reason: str  # "grade", "casualties", "beyond_township", "township_can_handle"


def suggest_response_level(*, grade, deaths, serious_injuries, beyond_township_capacity):
    """DOMAIN.md: 较大 or worse → Ⅰ; 一般 with any casualty, or marked beyond township
    capacity → Ⅱ; otherwise → Ⅲ. A person decides; this is only the suggestion."""
    if grade_rank(grade) >= grade_rank(Grade.LARGER):
        return Suggestion(ResponseLevel.LEVEL_I, "grade")
    if deaths > 0 or serious_injuries > 0:
        return Suggestion(ResponseLevel.LEVEL_II, "casualties")
    if beyond_township_capacity:
        return Suggestion(ResponseLevel.LEVEL_II, "beyond_township")
    return Suggestion(ResponseLevel.LEVEL_III, "township_can_handle")
