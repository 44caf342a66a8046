"""Aliyun SMS (dysmsapi 2017-05-25) through its documented HTTP API, signed by hand.

Sending: `SendSms` with the county's approved signature (SignName) and one general notice
template (TemplateCode) whose only content is variables: the message's text is cut into
them (`template_params`, each at most `param_max_chars` characters where Aliyun limits a
variable's length). The outgoing key goes as `OutId`, which Aliyun echoes in receipts; Aliyun
does not deduplicate on it, so idempotency stays the core's.

Receipts: Aliyun pushes them (SmsReport, "HTTP batch push") to notify.gateway_views; that is
the main path. `receipts()` polls `QuerySendDetails` as a fallback for messages still waiting
for a report some time after they were handed over: either those the caller names
(`outstanding=`) or those this instance handed over itself, kept in memory, bounded.

Requests are RPC-style with signature version 1.0: HMAC-SHA1 with "<secret>&" over
"POST&%2F&" + the percent-encoded canonical query (parameters sorted by name, RFC 3986
encoding, space as %20)."""

import base64
import hashlib
import hmac
import json
import logging
import os
import threading
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import requests

from notify.backends.base import Backend, Handed, Receipt, Reply, SendFailure
from notify.choices import Channel
from notify.sms_text import gateway_number, masked, segments
from zezhou_heat.text import refused_anywhere

logger = logging.getLogger(__name__)

API_VERSION = "2017-05-25"
BEIJING = ZoneInfo("Asia/Shanghai")  # Aliyun writes its times in Beijing time, without a zone
# Answers worth trying again later; any other code means this message will never go by
# this gateway (bad number, template or signature, no balance, wrong key), so the next
# channel is tried.
TEMPORARY_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",  # the per-number rate limit (1/min, 5/h, 10/day …)
    "isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "isp.UNKNOWN",
    "Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable", "InternalError",
    "SignatureNonceUsed",  # a retry gets a new nonce
}
# The account's calls per second exceeded: wait for a turn (not isv.BUSINESS_LIMIT_CONTROL,
# which is about one number and is an attempt like any other).
THROTTLED_CODES = {"Throttling", "Throttling.User", "Throttling.Api"}
SEND_STATUS_WAITING, SEND_STATUS_FAILED, SEND_STATUS_DELIVERED = 1, 2, 3


def percent_encode(value):
    """Aliyun's RFC 3986 encoding: unreserved characters kept, space as %20, "~" kept."""
    return quote(str(value), safe="-_.~")


def string_to_sign(method, params):
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(secret, method, params):
    """The `Signature` of a request whose parameters (without Signature) are `params`."""
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def beijing_time(text):
    """An aware datetime from Aliyun's "2017-01-01 00:00:00" (Beijing time), or None."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except (AttributeError, ValueError):
        return None


def _true(value):
    return value is True or str(value).strip().lower() == "true"


def parse_sms_report(payload):
    """Receipts from an SmsReport push: a JSON array of {biz_id, success, err_code,
    report_time, phone_number, out_id, …}. Entries without a biz_id are skipped."""
    if not isinstance(payload, list):
        raise ValueError("an SmsReport push is a JSON array")
    receipts = []
    for item in payload:
        if not isinstance(item, dict) or not item.get("biz_id") or refused_anywhere(item):
            logger.warning("SmsReport entry without biz_id, or with control characters, skipped")
            continue
        at = beijing_time(item.get("report_time")) or datetime.now(UTC)
        receipts.append(Receipt(provider_ref=str(item["biz_id"]), delivered=_true(item.get("success")),
                                at=at, code=str(item.get("err_code") or "")))
    return receipts


def parse_sms_up(payload):
    """Replies from an SmsUp push: a JSON array of {phone_number, content, send_time,
    sign_name, dest_code, sequence_id}."""
    if not isinstance(payload, list):
        raise ValueError("an SmsUp push is a JSON array")
    replies = []
    for item in payload:
        if not isinstance(item, dict) or not item.get("phone_number") or refused_anywhere(item):
            logger.warning("SmsUp entry without phone_number, or with control characters, "
                           "skipped")
            continue
        at = beijing_time(item.get("send_time")) or datetime.now(UTC)
        replies.append(Reply(address=gateway_number(str(item["phone_number"])),
                             text=str(item.get("content") or ""), at=at))
    return replies


class AliyunSms(Backend):
    """Options (settings.NOTIFY_BACKENDS["sms"]["OPTIONS"], from the ALIYUN_SMS_* variables):
    endpoint, access_key_id, access_key_secret, sign_name, template_code, template_params
    (variable names, default ["content"]), param_max_chars (0: no limit), timeout (seconds),
    poll_after (seconds before polling a message's status), max_tracked (refs kept)."""

    channel = Channel.SMS

    def __init__(self, *, access_key_id, access_key_secret, sign_name, template_code,
                 endpoint="https://dysmsapi.aliyuncs.com", template_params=("content",),
                 param_max_chars=0, timeout=5, poll_after=120, max_tracked=2000, poll_batch=50,
                 region_id="cn-hangzhou"):
        super().__init__(endpoint=endpoint, sign_name=sign_name, template_code=template_code)
        self.endpoint = endpoint.rstrip("/") + "/"
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.template_code = template_code
        self.template_params = list(template_params)
        self.param_max_chars = int(param_max_chars)
        self.timeout = float(timeout)
        self.poll_after = timedelta(seconds=poll_after)
        self.max_tracked = max_tracked
        self.poll_batch = poll_batch
        self.region_id = region_id
        self._session = requests.Session()  # keeps the TLS connection between messages
        self._pid = os.getpid()
        self._tracked = OrderedDict()  # provider_ref -> (number, handed at), oldest first
        self._lock = threading.Lock()

    # sending

    def send(self, outgoing):
        number = gateway_number(outgoing.address)
        answer = self._call("SendSms", {
            "PhoneNumbers": number,
            "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps(self.template_values(outgoing.text), ensure_ascii=False),
            "OutId": outgoing.key,
        })
        ref = answer.get("BizId") or ""
        if not ref:
            raise SendFailure("no_biz_id", "SendSms answered OK without a BizId", temporary=True)
        self._track(ref, number)
        logger.info("SMS to %s handed to Aliyun as %s", masked(number), ref)
        # Aliyun bills the signature 【…】 as part of the text.
        return Handed(provider_ref=ref, segments=segments(f"【{self.sign_name}】{outgoing.text}"))

    def template_values(self, text):
        """The template's variables carrying `text`: cut into the variables in order, each at
        most param_max_chars long where Aliyun limits it."""
        if not self.param_max_chars:
            values = {name: "" for name in self.template_params}
            values[self.template_params[0]] = text
            return values
        size = self.param_max_chars
        chunks = [text[i:i + size] for i in range(0, len(text), size)] or [""]
        if len(chunks) > len(self.template_params):
            raise SendFailure("text_too_long", f"{len(text)} characters do not fit the template",
                              temporary=False)
        chunks += [""] * (len(self.template_params) - len(chunks))
        return dict(zip(self.template_params, chunks, strict=True))

    # receipts by polling (the push is the main path)

    def receipts(self, outstanding=None):
        """Final reports for messages still waiting one, asked of QuerySendDetails.
        `outstanding`: (provider_ref, address, handed_at) the caller waits for; without it,
        those this instance handed over (lost on restart: the push remains)."""
        now = datetime.now(UTC)
        if outstanding is None:
            with self._lock:
                outstanding = [(ref, number, at) for ref, (number, at) in self._tracked.items()]
        due = [item for item in outstanding if now - item[2] >= self.poll_after][:self.poll_batch]
        found = []
        for ref, address, handed_at in due:
            receipt = self._query(ref, gateway_number(address), handed_at)
            if receipt is not None:
                found.append(receipt)
                self._untrack(ref)
            elif now - handed_at > timedelta(days=3):  # carriers give up within 72 hours
                self._untrack(ref)
        return found

    def _query(self, ref, number, handed_at):
        try:
            answer = self._call("QuerySendDetails", {
                "PhoneNumber": number, "BizId": ref, "PageSize": 10, "CurrentPage": 1,
                "SendDate": handed_at.astimezone(BEIJING).strftime("%Y%m%d")})
        except SendFailure as failure:
            logger.warning("QuerySendDetails for %s failed: %s", ref, failure)
            return None
        details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
        for detail in details:
            status = int(detail.get("SendStatus") or SEND_STATUS_WAITING)
            if status == SEND_STATUS_WAITING:
                continue
            at = beijing_time(detail.get("ReceiveDate") or "") or datetime.now(UTC)
            return Receipt(provider_ref=ref, delivered=status == SEND_STATUS_DELIVERED, at=at,
                           code=str(detail.get("ErrCode") or ""))
        return None

    def _track(self, ref, number):
        with self._lock:
            self._tracked[ref] = (number, datetime.now(UTC))
            while len(self._tracked) > self.max_tracked:
                self._tracked.popitem(last=False)

    def _untrack(self, ref):
        with self._lock:
            self._tracked.pop(ref, None)

    # the signed call

    def signed_params(self, action, params):
        common = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
        }
        signed = {**common, **{k: str(v) for k, v in params.items()}}
        signed["Signature"] = signature(self.access_key_secret, "POST", signed)
        return signed

    def _call(self, action, params):
        """The JSON answer of a signed POST, or SendFailure."""
        if self._pid != os.getpid():  # forked (a Celery worker): the pool's sockets are the parent's
            self._session, self._pid = requests.Session(), os.getpid()
        try:
            response = self._session.post(self.endpoint, data=self.signed_params(action, params),
                                          timeout=self.timeout)
        except requests.Timeout as error:
            raise SendFailure("timeout", str(error), temporary=True) from error
        except requests.RequestException as error:
            raise SendFailure("unreachable", str(error), temporary=True) from error
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = str(answer.get("Code") or "")
        if (response.status_code >= 500 or response.status_code == 429) and code not in TEMPORARY_CODES:
            raise SendFailure(code or f"http_{response.status_code}", answer.get("Message", ""),
                              temporary=True, throttled=response.status_code == 429)
        if code == "OK":
            return answer
        code = code or f"http_{response.status_code}"
        raise SendFailure(code, str(answer.get("Message") or ""), temporary=code in TEMPORARY_CODES,
                          throttled=code in THROTTLED_CODES)

    def close(self):
        self._session.close()
