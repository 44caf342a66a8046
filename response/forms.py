from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import TaskGroup
from response.choices import CONDITIONS, ChecklistStatus, ResponseLevel
from zezhou_heat.forms import Form, HappenedField


class ProposalForm(Form):
    level = forms.ChoiceField(label=_("Level"), choices=ResponseLevel.choices,
                              widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required when the level differs from the suggestion."))
    task_groups = forms.ModelMultipleChoiceField(
        label=_("Task groups to start"), queryset=TaskGroup.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Level Ⅰ starts all eight. Left empty, the scenario's default groups."))


class LevelChangeForm(Form):
    level = forms.ChoiceField(label=_("New level"), choices=ResponseLevel.choices)
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class SiteHeadquartersForm(Form):
    leader = forms.CharField(label=_("Leader"), max_length=50)
    place = forms.CharField(label=_("Place"), max_length=200)
    set_up_at = HappenedField(label=_("Set up at"),
                              initial=lambda: timezone.localtime().replace(second=0, microsecond=0))


class HandOverForm(Form):
    to = forms.CharField(label=_("Handed over to"), max_length=100,
                         initial=_("City heating emergency headquarters"))
    at = HappenedField(label=_("At"),
                       initial=lambda: timezone.localtime().replace(second=0, microsecond=0))


class ConditionForm(Form):
    condition = forms.ChoiceField(label=_("End condition"), choices=CONDITIONS)


class ChecklistForm(Form):
    status = forms.ChoiceField(label=_("Status"), choices=ChecklistStatus.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)
