import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland mobile (11 digits from 13x–19x), or a landline with area code and an optional
# extension: 0356-1234567, 03561234567, 0356-1234567-801. Spaces are tolerated on input.
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def normalise_phone(value):
    return re.sub(r"\s+", "", value or "")


def validate_phone(value):
    if value and not PHONE_RE.match(normalise_phone(value)):
        raise ValidationError(
            _("“%(value)s” is not a phone number: use an 11-digit mobile number or a "
              "landline such as 0356-1234567."),
            code="invalid_phone",
            params={"value": value},
        )
