"""One FilterSet for the incident list page and the incident API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Unit
from incidents.choices import Grade, IncidentStatus, Scenario
from incidents.models import Incident


def yes_no_any():
    return forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=IncidentStatus.choices,
                                         empty_label=_("All statuses"))
    grade = django_filters.ChoiceFilter(label=_("Grade"), choices=Grade.choices,
                                        empty_label=_("All grades"))
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), queryset=Unit.objects.filter(kind="township"),
        empty_label=_("All townships"))
    scenario = django_filters.ChoiceFilter(label=_("Scenario"), choices=Scenario.choices,
                                           empty_label=_("All scenarios"))
    is_drill = django_filters.BooleanFilter(label=_("Drill"), widget=yes_no_any())
    overdue = django_filters.BooleanFilter(label=_("A clock is overdue"), field_name="has_overdue",
                                           widget=yes_no_any())
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"), empty_label=_("Newest reported first"),
        fields=[("reported_at", "reported_at"), ("occurred_at", "occurred_at"),
                ("households_affected", "households_affected"), ("deaths", "deaths")],
        field_labels={"reported_at": _("Reported at"), "occurred_at": _("Occurred at"),
                      "households_affected": _("Households without heat"),
                      "deaths": _("Deaths")})

    class Meta:
        model = Incident
        fields = ["status", "grade", "township", "scenario", "is_drill", "overdue"]
