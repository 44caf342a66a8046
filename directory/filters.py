"""One FilterSet for the directory page and the directory API (as NetBox does)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from directory.models import Person, Position, TaskGroup, Unit
from directory.validators import normalise_phone


@extend_schema_field(OpenApiTypes.INT)
class TaskGroupFilter(django_filters.ModelChoiceFilter):
    """A task group's people: those of its lead unit and of its member units."""


class PersonFilter(django_filters.FilterSet):
    """Over directory.selectors.people(viewer), which says which mobiles the viewer sees."""

    q = django_filters.CharFilter(
        label=_("Search"), method="search",
        help_text=_("Name, unit, position or phone number"))
    task_group = TaskGroupFilter(
        label=_("Task group"), queryset=TaskGroup.objects.all(), method="in_task_group",
        empty_label=_("All task groups"))
    unit = django_filters.ModelChoiceFilter(
        label=_("Unit"), queryset=Unit.objects.all(), empty_label=_("All units"))
    position = django_filters.ModelChoiceFilter(
        label=_("Position"), queryset=Position.objects.all(), field_name="holdings__position",
        distinct=True, empty_label=_("All positions"))
    on_duty = django_filters.BooleanFilter(
        label=_("On duty now"), field_name="on_duty", widget=django_filters.widgets.BooleanWidget)

    class Meta:
        model = Person
        fields = ["q", "task_group", "unit", "position", "on_duty"]

    def search(self, queryset, name, value):
        words = value.split()
        for word in words:
            phone = normalise_phone(word)
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(title__icontains=word)
                | Q(unit__name__icontains=word)
                | Q(unit__short_name__icontains=word)
                | Q(holdings__position__name__icontains=word)
                | Q(shown_mobile__contains=phone)  # a hidden number is not searched
                | Q(office_phone__contains=phone)
            )
        return queryset.distinct() if words else queryset

    def in_task_group(self, queryset, name, group):
        if group is None:
            return queryset
        return queryset.filter(
            Q(unit__task_groups=group) | Q(unit__led_groups=group)).distinct()
