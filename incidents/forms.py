from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import Unit
from directory.validators import normalise_phone
from incidents import written_report
from incidents.authority import scope_of
from incidents.choices import ReportKind
from incidents.models import Figures, Incident, Inquiry, UpwardReport
from zezhou_heat.forms import Form, HappenedField, ModelForm, PlannedField
from zezhou_heat.permissions import REPORT_ANY

REQUIRED_AT_INTAKE = ["occurred_at", "reported_at", "township", "place", "reporter_name",
                      "reporter_phone", "channel", "scenario", "description"]


class FiguresForm(ModelForm):
    """The figures every report states: what they are now, pre-filled from the incident."""

    class Meta:
        fields = Figures.FIELDS


class IntakeForm(FiguresForm):
    """The first report, fast to fill on a phone at 3 a.m.: the required fields first."""

    class Meta:
        model = Incident
        fields = [*REQUIRED_AT_INTAKE, "reporter_unit", *Figures.FIELDS, "heat_sources",
                  "heating_stopped_at", "expected_restore_at", "beyond_township_capacity",
                  "is_drill"]
        field_classes = {"occurred_at": HappenedField, "reported_at": HappenedField,
                         "heating_stopped_at": HappenedField, "expected_restore_at": PlannedField}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reported_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        townships = Unit.objects.townships()
        reporters = Unit.objects.all()
        if not user.has_perm(REPORT_ANY):
            own_townships, own_enterprises = scope_of(user)
            if own_townships and not own_enterprises:
                townships = townships.filter(pk__in=own_townships)
            if own_enterprises:
                reporters = reporters.filter(pk__in=own_enterprises)
                self.fields["reporter_unit"].required = True
        self.fields["township"].queryset = townships
        self.fields["reporter_unit"].queryset = reporters
        self._preselect_the_only_choice("township", townships)
        if self.fields["reporter_unit"].required:
            self._preselect_the_only_choice("reporter_unit", reporters)
        for name in Figures.FIELDS:  # may follow in later reports: blank means none yet
            self.fields[name].required = False
        for name in ("deaths", "serious_injuries", "households_affected"):
            self.fields[name].widget.attrs.update(inputmode="numeric")
        self.fields["reporter_phone"].widget.attrs.update(inputmode="tel", autocomplete="tel")

    def _preselect_the_only_choice(self, name, choices):
        """A township officer of one township (an enterprise reporter of one enterprise)
        gets it chosen, without the empty "---------"."""
        if len(choices) == 1:
            self.fields[name].initial = choices[0].pk
            self.fields[name].empty_label = None

    def clean_reporter_phone(self):
        return normalise_phone(self.cleaned_data["reporter_phone"])

    def clean(self):
        cleaned = super().clean()
        for name in Figures.FIELDS:
            if name in cleaned and cleaned[name] is None:
                cleaned[name] = 0
        return cleaned


class WrittenReportForm(FiguresForm):
    """§4.1's contents, one field each; none is required to save a draft."""

    class Meta(FiguresForm.Meta):
        model = Incident

    def __init__(self, *args, incident, draft=None, **kwargs):
        super().__init__(*args, instance=incident, **kwargs)
        prefill = prefilled_contents(incident)
        if draft:
            prefill.update({k: v for k, v in draft.contents.items() if v})
        for element in written_report.ELEMENTS:
            attrs = {"data-element": element.key}
            widget = (forms.Textarea(attrs={"rows": 2, **attrs}) if element.multiline
                      else forms.TextInput(attrs=attrs))
            self.fields[element.key] = forms.CharField(
                label=element.label, required=False, widget=widget,
                max_length=written_report.MAX_LENGTH,
                initial=prefill.get(element.key, ""))
        self.order_fields([*written_report.KEYS, *Figures.FIELDS])

    def contents(self):
        return {e.key: self.cleaned_data.get(e.key, "") for e in written_report.ELEMENTS}

    def figures(self):
        return {name: self.cleaned_data[name] for name in Figures.FIELDS}


def prefilled_contents(incident):
    """What the system already knows, so the duty officer only adds the rest."""
    local = timezone.localtime
    reporter = f"{incident.reporter_unit or ''} {incident.reporter_name}".strip()
    return {
        "occurred_at": local(incident.occurred_at).strftime("%Y-%m-%d %H:%M"),
        "place": f"{incident.township.short_name}{incident.place}",
        "information_source": f"{reporter}（{incident.get_channel_display()}）",
        "category": str(incident.get_scenario_display()),
        "property_loss": str(_("Direct economic loss about %(loss)s CNY") % {
            "loss": f"{incident.direct_loss:,.0f}"}),
        "casualties": str(_("%(deaths)s dead, %(injuries)s seriously injured") % {
            "deaths": incident.deaths, "injuries": incident.serious_injuries}),
        "initial_grade": str(incident.get_grade_display()),
        "reporter_name": incident.reporter_name,
        "reporter_unit": str(incident.reporter_unit or ""),
        "reporter_phone": incident.reporter_phone,
    }


class FollowUpReportForm(FiguresForm):
    """A continuation report or the final report: what changed, measures, figures now."""

    summary = forms.CharField(label=_("What happened or changed"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    measures = forms.CharField(label=_("Measures taken"), required=False, max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 3}))

    class Meta(FiguresForm.Meta):
        model = Incident
        fields = ["summary", "measures", *Figures.FIELDS]

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, instance=incident, **kwargs)

    def figures(self):
        return {name: self.cleaned_data[name] for name in Figures.FIELDS}


FOLLOW_UP_KINDS = {"continuation": ReportKind.CONTINUATION, "final": ReportKind.FINAL}


class UpwardReportForm(ModelForm):
    class Meta:
        model = UpwardReport
        fields = ["recipient", "recipient_detail", "channel", "sent_at", "report"]
        field_classes = {"sent_at": HappenedField}

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sent_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["report"].queryset = incident.reports.all()


class InquiryForm(ModelForm):
    class Meta:
        model = Inquiry
        fields = ["asked_by", "asked_at", "question"]
        field_classes = {"asked_at": HappenedField}
        widgets = {"question": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asked_at"].initial = timezone.localtime().replace(second=0, microsecond=0)


class ReplyForm(Form):
    reply = forms.CharField(label=_("Reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
