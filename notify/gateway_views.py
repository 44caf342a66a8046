"""Where SMS gateways push to us: Aliyun's delivery reports (SmsReport) and replies (SmsUp).

Aliyun's HTTP batch push carries no signature, so a push is believed when
  1. its URL holds the county's secret token (ALIYUN_SMS_CALLBACK_TOKEN, 32+ random
     characters, set in Aliyun's console as part of the URL; compared in constant time), and
  2. where ALIYUN_SMS_CALLBACK_NETWORKS lists networks, it comes from one of them (the
     client's address as zezhou_heat.proxies resolves it behind our own proxies).
Without a token the endpoints do not exist (404); a wrong token is a 404 too, so the
address reveals nothing. The URL must be HTTPS in production (the token is a password).

The parsed receipts and replies go to notify.services, which records them (idempotently: a
report pushed twice is parsed twice). The answer is Aliyun's documented {"code": 0, ...};
anything else (an error status) makes Aliyun push the batch again later."""

import hmac
import ipaddress
import json
import logging

from django.conf import settings
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notify.backends.aliyun import parse_sms_report, parse_sms_up
from notify.choices import Channel
from zezhou_heat.proxies import client_address

logger = logging.getLogger(__name__)

MAX_PUSH_BYTES = 1_000_000  # Aliyun batches are at most a few hundred reports
ACCEPTED = {"code": 0, "msg": "成功"}


class Refused(Exception):
    """A push we do not believe: `status` 404 (no or wrong token) or 403 (wrong network)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


def verify_push(token, address):
    """Raises Refused unless `token` is the configured one and `address` is allowed."""
    expected = getattr(settings, "ALIYUN_SMS_CALLBACK_TOKEN", "") or ""
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Refused(404)
    networks = getattr(settings, "ALIYUN_SMS_CALLBACK_NETWORKS", []) or []
    if networks and not _in_networks(address, networks):
        raise Refused(403)


def _in_networks(address, networks):
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(entry, strict=False) for entry in networks)


def read_push(body):
    """The JSON array of a push, or ValueError."""
    if len(body) > MAX_PUSH_BYTES:
        raise ValueError("push too large")
    return json.loads(body.decode("utf-8"))


def _received(request, token, parse):
    try:
        verify_push(token, client_address(request))
    except Refused as refused:
        logger.warning("Aliyun push refused (%s) from %s", refused.status, client_address(request))
        if refused.status == 404:
            raise Http404 from None
        return None, HttpResponseForbidden()
    try:
        return parse(read_push(request.body)), None
    except ValueError as error:  # also json.JSONDecodeError and UnicodeDecodeError
        logger.warning("Aliyun push unreadable: %s", error)
        return None, JsonResponse({"code": 1, "msg": "invalid body"}, status=400)


@csrf_exempt
@require_POST
def aliyun_report(request, token):
    """Aliyun's SmsReport push: delivery reports, handed to notify.services."""
    receipts, refused = _received(request, token, parse_sms_report)
    if refused:
        return refused
    from notify import services  # written by the core; imported here to keep this file apart

    services.receipts_recorded(channel=Channel.SMS, receipts=receipts)
    return JsonResponse(ACCEPTED, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def aliyun_reply(request, token):
    """Aliyun's SmsUp push: replies, each handed to notify.services."""
    replies, refused = _received(request, token, parse_sms_up)
    if refused:
        return refused
    from notify import services

    for reply in replies:
        services.reply_received(channel=Channel.SMS, reply=reply)
    return JsonResponse(ACCEPTED, json_dumps_params={"ensure_ascii": False})
