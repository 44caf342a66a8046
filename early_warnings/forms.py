from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Unit
from early_warnings.choices import Channel, WarningLevel
from early_warnings.models import EarlyWarning
from zezhou_heat.forms import Form, HappenedField, ModelForm, PlannedField


def township_field(**kwargs):
    return forms.ModelMultipleChoiceField(
        label=_("Townships"), queryset=Unit.objects.townships(),
        widget=forms.CheckboxSelectMultiple, **kwargs)


class WarningForm(ModelForm):
    """The draft: every element §3.3 asks for. A draft may be saved incomplete; the page
    says what submitting still needs."""

    townships = township_field(required=False)

    class Meta:
        model = EarlyWarning
        fields = ["category", "level", "townships", "places", "starts_at", "ends_at", "impact",
                  "watch_for", "measures", "issuing_body", "source", "incident", "is_drill"]
        field_classes = {"starts_at": PlannedField, "ends_at": PlannedField}
        widgets = {"impact": forms.Textarea(attrs={"rows": 2}),
                   "watch_for": forms.Textarea(attrs={"rows": 2}),
                   "measures": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("category", "level"):
            self.fields[name].required = True
        self.fields["incident"].queryset = self.fields["incident"].queryset.exclude(
            status="closed")


class UpdateForm(Form):
    level = forms.ChoiceField(label=_("Warning level"), choices=WarningLevel.choices)
    townships = township_field()
    places = forms.CharField(label=_("Places"), required=False, max_length=300)
    note = forms.CharField(label=_("What changed"), required=False, max_length=300)


class ChannelsForm(Form):
    channels = forms.MultipleChoiceField(label=_("Channels"), choices=Channel.choices,
                                         widget=forms.CheckboxSelectMultiple, required=False)


class LiftForm(Form):
    reason = forms.CharField(label=_("Reason for lifting"), max_length=500)


class ReportUpForm(Form):
    to = forms.CharField(label=_("Reported to"), max_length=100)
    at = HappenedField(label=_("At"))
