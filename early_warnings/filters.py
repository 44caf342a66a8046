import django_filters
from django.utils.translation import gettext_lazy as _

from directory.models import Unit
from early_warnings.choices import WarningLevel, WarningState
from early_warnings.models import EarlyWarning


class WarningFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(label=_("Warning level"), choices=WarningLevel.choices,
                                        empty_label=_("All levels"))
    township = django_filters.ModelChoiceFilter(
        label=_("Township"), field_name="townships", queryset=Unit.objects.filter(kind="township"),
        empty_label=_("All townships"))
    state = django_filters.ChoiceFilter(label=_("State"), choices=WarningState.choices,
                                        empty_label=_("All states"))

    class Meta:
        model = EarlyWarning
        fields = ["level", "township", "state"]
