"""SMS text as gateways count it, and phone numbers as logs may show them: the one module
every SMS backend (Aliyun, SMPP, the outbox) and notify's services use for both.

A text made only of GSM 03.38 characters travels in 7-bit encoding: 160 characters in one
segment, 153 per segment once it is longer (7 go to the concatenation header); the
characters of the extension table (^{}[]~|€ and so on) count twice. Any other character
(Chinese) makes the whole text UCS-2: 70 characters in one segment, 67 per segment when
longer. A character outside the Basic Multilingual Plane (an emoji) takes two UCS-2 units.
Aliyun and the carriers' SMPP platforms bill by these segments."""

import math
import re

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm(text):
    return all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text)


def units(text):
    """The text's length in the units its encoding counts."""
    if is_gsm(text):
        return sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def segments(text):
    """How many segments a gateway bills for `text` (1 for an empty text)."""
    single, part = (GSM_SINGLE, GSM_PART) if is_gsm(text) else (UCS2_SINGLE, UCS2_PART)
    length = units(text)
    return 1 if length <= single else math.ceil(length / part)


def masked(number):
    """"13812345678" -> "138****5678": enough to tell numbers apart in a log, not to dial one.
    Anything that is not a phone number (an e-mail address, a WeCom id) is shortened too."""
    number = str(number or "")
    if re.fullmatch(r"\+?\d{7,}", number):
        return number[:-8] + "****" + number[-4:] if len(number) >= 11 else (
            number[:2] + "****" + number[-2:])
    if "@" in number:
        name, _at, domain = number.partition("@")
        return f"{name[:1]}***@{domain}"
    return number[:2] + "***" if len(number) > 2 else "***"


MOBILE = re.compile(r"1\d{10}")
COUNTRY_CODE = re.compile(r"^(?:\+86|0086|86)(?=1\d{10}$)")


def compact(phone):
    """`phone` without spaces, dashes and brackets."""
    return re.sub(r"[\s\-()]", "", str(phone or ""))


def mobile_number(phone):
    """The 11-digit mainland mobile number in `phone` ("+86 138-0000-0000", "8613800000000"
    → "13800000000"), or "" when it is not one (a landline cannot take an SMS)."""
    digits = COUNTRY_CODE.sub("", compact(phone))
    return digits if MOBILE.fullmatch(digits) else ""


def gateway_number(phone):
    """The number to give a gateway: the mobile number, or else the address as written
    (compacted), for the gateway to refuse in its own words."""
    return mobile_number(phone) or compact(phone)
