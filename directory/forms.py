from django import forms
from django.utils.translation import gettext_lazy as _

from directory import geography
from directory.models import DutyShift, Person, Position, Unit
from directory.validators import normalise_phone
from zezhou_heat.forms import Form, ModelForm, PlannedField


class PersonForm(ModelForm):
    positions = forms.ModelMultipleChoiceField(
        label=_("Positions"), queryset=Position.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Liaison, township officer and enterprise reporter positions are held "
                    "for the person's own unit."))

    class Meta:
        model = Person
        fields = ["unit", "name", "title", "mobile", "office_phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["positions"].initial = [
                h.position_id for h in self.instance.holdings.all()]

    def clean_mobile(self):
        return normalise_phone(self.cleaned_data["mobile"])

    def clean_office_phone(self):
        return normalise_phone(self.cleaned_data["office_phone"])


class ShiftForm(ModelForm):
    class Meta:
        model = DutyShift
        fields = ["unit", "person", "starts_at", "ends_at", "is_leader", "note"]
        field_classes = {"starts_at": PlannedField, "ends_at": PlannedField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.all()
        self.fields["person"].queryset = Person.objects.select_related("unit")



class ImportForm(Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Choose an Excel workbook ending in .xlsx."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class CountyMapForm(Form):
    source = forms.CharField(
        label=_("Source of the boundaries"), max_length=200,
        help_text=_("Who drew them and when, as the map will say (for example the county "
                    "natural resources bureau's division map of 2024)."))
    file = forms.FileField(
        label=_("Township boundaries (GeoJSON)"),
        help_text=_("A FeatureCollection of Polygon or MultiPolygon features in longitude and "
                    "latitude, one per township, each naming it by its official division code "
                    "in properties.division_code."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > geography.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than %(size)s MB.")
                                        % {"size": geography.MAX_BYTES // 2**20})
        return upload


class TwoFactorCodeForm(Form):
    """The second factor at sign-in (or to confirm an authenticator app when enrolling)."""

    code = forms.CharField(
        label=_("Code"), max_length=32,
        help_text=_("The 6 digits your authenticator app shows now, or one of your recovery "
                    "codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "autocapitalize": "none", "spellcheck": "false"}))
