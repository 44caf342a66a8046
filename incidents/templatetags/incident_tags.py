from django import template
from django.utils.translation import gettext as _

register = template.Library()

CRITERION_LABELS = {
    "deaths": lambda: _("deaths"),
    "serious_injuries": lambda: _("serious injuries"),
    "direct_loss": lambda: _("direct economic loss (CNY)"),
}
SUGGESTION_REASONS = {
    "grade": lambda: _("the incident is graded 较大 or worse"),
    "casualties": lambda: _("a 一般 incident with casualties"),
    "beyond_township": lambda: _("marked beyond the township's capacity"),
    "township_can_handle": lambda: _("the township and base units can handle it"),
}


@register.filter
def grading_text(grading):
    """Which criterion of the §1.5 table decided the grade, in words."""
    if not grading.criterion:
        return _("No criterion reaches 较大: deaths below 3, serious injuries below 10 and "
                 "direct loss below 10,000,000 CNY.")
    return _("%(criterion)s reached %(threshold)s or more (以上)") % {
        "criterion": CRITERION_LABELS[grading.criterion](),
        "threshold": f"{grading.threshold:,}"}


@register.filter
def suggestion_reason(suggestion):
    return SUGGESTION_REASONS[suggestion.reason]()
