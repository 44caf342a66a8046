from django import forms
from django.utils.translation import gettext_lazy as _

from zezhou_heat import dates
from zezhou_heat.text import validate_text

DATETIME_INPUT = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def datetime_widget():
    return forms.DateTimeInput(attrs=DATETIME_INPUT, format=DATETIME_FORMAT)


class HappenedField(forms.DateTimeField):
    """A time something happened: zezhou_heat.dates' window (not before 2000, not in the
    future). For a ModelForm: Meta.field_classes = {"occurred_at": HappenedField}."""

    widget = datetime_widget()
    default_validators = [dates.validate_happened]

    def widget_attrs(self, widget):
        # The browser refuses earlier times too; no `max`: a page left open would refuse now.
        return {**super().widget_attrs(widget), "min": f"{dates.EARLIEST}T00:00"}


class PlannedField(HappenedField):
    """A planned or expected time: not before 2000, not more than a year ahead."""

    default_validators = [dates.validate_planned]


class TextRule:
    """For every form a person types into: each text field (whenever the form added it)
    refuses control characters other than tab and line breaks (zezhou_heat.text)."""

    def full_clean(self):
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and validate_text not in field.validators:
                field.validators.append(validate_text)
        super().full_clean()


class Form(TextRule, forms.Form):
    pass


class ModelForm(TextRule, forms.ModelForm):
    pass


class NoteForm(Form):
    """An optional note with a decision (approve, reject): the pages' NoteSerializer."""

    note = forms.CharField(label=_("Note"), required=False, max_length=300)


def add_service_errors(form, error):
    """Show a service's ValidationError on the form: on the field it names when the form
    has that field, above the form otherwise."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
