"""Figures as a reader reads them, in the active language, never rounded.

A figure decides an incident's grade (plan §1.5), so it is shown exactly as entered: a loss of
9,999,999.99 yuan is never "1000万". Chinese practice writes large amounts in 万 or 亿 when that
is exact to two decimals ("280万元", "1.2万户", "15万平方米"); anything else is written in full
with thousands separators ("9,999,999.99元"). English writes the amount in full ("2,800,000
yuan"): an exact figure, which "¥2.8 million" would not be for 2,815,310 yuan.
"""

from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language
from django.utils.translation import gettext as _

SCALES = [(Decimal(100_000_000), "亿"), (Decimal(10_000), "万")]
SCALED_PLACES = 2  # 280.5万 yes, 281.5310万 no (written in full instead)
NUMERALS = "〇一二三四五六七八九"


def _decimal(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a figure: {value!r}") from None


def is_nonzero(value):
    return value not in (None, "") and _decimal(value) != 0


def _chinese():
    return (get_language() or "").startswith("zh")


def _digits(number, *, cents=False):
    """Exact digits: trailing zeros dropped (or two places for money with cents), the integer
    part grouped by thousands from 5 digits in Chinese (GB/T 15835) and from 4 in English."""
    number = number.normalize()
    if cents and number != number.to_integral_value():
        number = number.quantize(Decimal("0.01"))
    whole, _dot, fraction = f"{number:f}".partition(".")
    sign, whole = ("-", whole[1:]) if whole.startswith("-") else ("", whole)
    if len(whole) >= (5 if _chinese() else 4):
        whole = f"{int(whole):,}"
    return sign + whole + ("." + fraction if fraction else "")


def amount(value, *, cents=False):
    """The number alone: "280万" / "2,800,000"."""
    number = _decimal(value)
    if _chinese():
        for size, suffix in SCALES:
            scaled = number / size
            if abs(number) >= size and -scaled.normalize().as_tuple().exponent <= SCALED_PLACES:
                return _digits(scaled) + suffix
    return _digits(number, cents=cents)


def money(value):
    """Yuan: "280万元", "9,999,999.99元"; "2,800,000 yuan"."""
    return _("%(amount)s yuan") % {"amount": amount(value, cents=True)}


def households(value):
    return _("%(amount)s households") % {"amount": amount(value)}


def area(value):
    return _("%(amount)s m²") % {"amount": amount(value)}


def people(value):
    """A number of people: "3人"; "3"."""
    return _("%(amount)s people") % {"amount": amount(value)}


def report_number(n):
    """The number of a continuation report: 续报一, 续报十二 in Chinese; 1, 12 in English."""
    if not _chinese() or n >= 100:
        return str(n)
    if n < 10:
        return NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")
