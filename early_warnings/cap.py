"""Early warnings as OASIS CAP 1.2 messages.

One table maps our levels to CAP's severity, urgency and certainty (below); categories map
to CAP categories. Each issued, updated or lifted version (a WarningRevision) is one `alert`:
msgType Alert, Update or Cancel, Update and Cancel referencing every earlier version; status
Exercise for drills; times with +08:00; one `info` in zh-CN with one `area`."""

from xml.etree import ElementTree as ET

from django.conf import settings
from django.utils import timezone
from django.utils.translation import override

from early_warnings.choices import WarningCategory, WarningLevel
from early_warnings.notice import public_notice
from zezhou_heat.text import printable

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"

# Level → (severity, urgency, certainty). 一般: limited, expected within hours (§3.3: handled
# within 12 h); 较大: several departments needed; 重大以上: county-wide, possibly very heavy
# casualties or loss, act now.
CAP_MAPPING = {
    WarningLevel.GENERAL: ("Minor", "Expected", "Likely"),
    WarningLevel.LARGER: ("Moderate", "Expected", "Likely"),
    WarningLevel.MAJOR: ("Severe", "Immediate", "Likely"),
}
CAP_CATEGORY = {
    WarningCategory.HEATING_FACILITY: "Infra",
    WarningCategory.COLD_WAVE: "Met",
    WarningCategory.FUEL_SHORTAGE: "Infra",
    WarningCategory.UTILITY_OUTAGE: "Infra",
    WarningCategory.OTHER: "Other",
}


def cap_time(moment):
    return timezone.localtime(moment).isoformat(timespec="seconds")


def identifier(revision):
    return f"{settings.CAP_IDENTIFIER_PREFIX}.warning.{revision.warning_id}.v{revision.version}"


def alert_xml(revision):
    """The CAP 1.2 `alert` for one revision of a warning, as UTF-8 bytes."""
    warning = revision.warning
    ET.register_namespace("", NAMESPACE)
    alert = ET.Element(_tag("alert"))
    _add(alert, "identifier", identifier(revision))
    _add(alert, "sender", settings.CAP_SENDER)
    _add(alert, "sent", cap_time(revision.sent_at))
    _add(alert, "status", "Exercise" if warning.is_drill else "Actual")
    _add(alert, "msgType", revision.msg_type)
    _add(alert, "scope", "Public")
    if revision.version > 1:
        earlier = warning.revisions.filter(version__lt=revision.version)
        _add(alert, "references", " ".join(
            f"{settings.CAP_SENDER},{identifier(r)},{cap_time(r.sent_at)}" for r in earlier))
    alert.append(_info(warning, revision))
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True)


def _info(warning, revision):
    severity, urgency, certainty = CAP_MAPPING[revision.level]
    info = ET.Element(_tag("info"))
    with override("zh-hans"):
        _add(info, "language", "zh-CN")
        _add(info, "category", CAP_CATEGORY[warning.category])
        _add(info, "event", f"供热{WarningLevel(revision.level).label}")
        _add(info, "urgency", urgency)
        _add(info, "severity", severity)
        _add(info, "certainty", certainty)
        if warning.starts_at:
            _add(info, "effective", cap_time(warning.starts_at))
        if warning.ends_at:
            _add(info, "expires", cap_time(warning.ends_at))
        _add(info, "senderName", warning.issuing_body)
        _add(info, "headline", _headline(warning, revision))
        _add(info, "description", warning.impact)
        _add(info, "instruction", f"{warning.watch_for}\n{warning.measures}".strip())
        _add(info, "web", f"{settings.PUBLIC_BASE_URL}/warnings/{warning.pk}/notice/")
        area = ET.SubElement(info, _tag("area"))
        _add(area, "areaDesc", _area_description(revision))
    return info


def _headline(warning, revision):
    prefix = {"Cancel": "解除", "Update": "更新"}.get(revision.msg_type, "发布")
    return f"{prefix}{WarningLevel(revision.level).label}：{public_notice(warning)[:60]}"


def _area_description(revision):
    area = "、".join(revision.area) or "泽州县"
    return f"泽州县{area}" + (f"（{revision.places}）" if revision.places else "")


def _tag(name):
    return f"{{{NAMESPACE}}}{name}"


def _add(parent, name, text):
    element = ET.SubElement(parent, _tag(name))
    # ElementTree writes control characters as they are, which is not well-formed XML.
    element.text = printable(text)
    return element
