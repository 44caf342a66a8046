"""A delivery's last error in words: the providers' codes (Aliyun, SMPP, WeCom, SMTP, the
outbox's) and the services' own, mapped to a short reason the office reads on the delivery
board (号码无效, 网关限流, 网关不可用…), the code kept beside it."""

import re

from django.utils.translation import gettext_lazy as _

from notify.choices import ATTEMPTS_EXHAUSTED, NO_ADDRESS

INVALID_NUMBER = _("Invalid number")
THROTTLED = _("Gateway throttled")
UNAVAILABLE = _("Gateway unavailable")
NOT_DELIVERED = _("Not delivered to the phone")
NO_CREDIT = _("Gateway account out of credit")
MISCONFIGURED = _("Gateway settings wrong")
TOO_LONG = _("Text too long")
REFUSED = _("Refused by the gateway")

REASONS = {
    NO_ADDRESS: _("No address on this channel"),
    ATTEMPTS_EXHAUSTED: _("Retries used up"),
    # Aliyun SMS (dysmsapi): the documented error codes, and its receipts' failures.
    "isv.MOBILE_NUMBER_ILLEGAL": INVALID_NUMBER,
    "isv.MOBILE_COUNT_OVER_LIMIT": INVALID_NUMBER,
    "isv.BUSINESS_LIMIT_CONTROL": THROTTLED,
    "isv.DAY_LIMIT_CONTROL": THROTTLED,
    "Throttling.User": THROTTLED,
    "isp.SYSTEM_ERROR": UNAVAILABLE,
    "isv.AMOUNT_NOT_ENOUGH": NO_CREDIT,
    "isv.OUT_OF_SERVICE": NO_CREDIT,
    "isv.SMS_SIGNATURE_ILLEGAL": MISCONFIGURED,
    "isv.SMS_TEMPLATE_ILLEGAL": MISCONFIGURED,
    "isv.TEMPLATE_MISSING_PARAMETERS": MISCONFIGURED,
    "isv.InvalidAccessKeyId.NotFound": MISCONFIGURED,
    "SignatureDoesNotMatch": MISCONFIGURED,
    "isv.PARAM_LENGTH_LIMIT": TOO_LONG,
    "text_too_long": TOO_LONG,
    "no_biz_id": UNAVAILABLE,
    # SMPP 3.4: submit_sm statuses and delivery receipts' final states.
    "ESME_RINVDSTADR": INVALID_NUMBER,
    "ESME_RTHROTTLED": THROTTLED,
    "ESME_RMSGQFUL": THROTTLED,
    "ESME_RSYSERR": UNAVAILABLE,
    "UNDELIV": NOT_DELIVERED,
    "EXPIRED": NOT_DELIVERED,
    "DELETED": NOT_DELIVERED,
    "REJECTD": REFUSED,
    "undelivered": NOT_DELIVERED,
    # WeCom: errcodes.
    "45009": THROTTLED,
    "45033": THROTTLED,
    "45047": THROTTLED,
    "93000": MISCONFIGURED,
    "40013": MISCONFIGURED,
    "40091": MISCONFIGURED,
    "no_webhook_key": MISCONFIGURED,
    "no_application": MISCONFIGURED,
    "invaliduser": INVALID_NUMBER,
    "too_long": TOO_LONG,
    # SMTP replies.
    "421": UNAVAILABLE,
    "450": UNAVAILABLE,
    "451": UNAVAILABLE,
    "452": UNAVAILABLE,
    "550": INVALID_NUMBER,
    "551": INVALID_NUMBER,
    "553": INVALID_NUMBER,
    # Any channel: the gateway could not be reached.
    "unreachable": UNAVAILABLE,
    "timeout": UNAVAILABLE,
    "connection_lost": UNAVAILABLE,
    "bad_answer": UNAVAILABLE,
    # The outbox's demo failures (NOTIFY_OUTBOX_FAIL).
    "outbox.unavailable": UNAVAILABLE,
    "outbox.rejected": REFUSED,
}


def reason(code):
    """The short reason of a delivery's last error code ("" for none). A code of no known
    kind reads as refused by the gateway; the board shows the code beside it."""
    if not code:
        return ""
    head = code.split(":", 1)[0]  # an SMPP receipt's "UNDELIV:001"
    found = REASONS.get(code) or REASONS.get(head)
    if found is None and re.fullmatch(r"http_5\d\d|bind_.*", code):
        found = UNAVAILABLE if code.startswith("http_") else MISCONFIGURED
    if found is None and re.fullmatch(r"4\d\d", code):
        found = UNAVAILABLE  # SMTP: a temporary refusal
    return str(found or REFUSED)


def in_words(code):
    """"号码无效（isv.MOBILE_NUMBER_ILLEGAL）": the reason, and the code as the provider sent
    it, for whoever calls the provider about it."""
    if not code:
        return ""
    return _("%(reason)s (%(code)s)") % {"reason": reason(code), "code": code}
