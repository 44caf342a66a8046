from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    RESPONDING = "responding", _("Responding")
    UNDER_CONTROL = "under_control", _("Under control")
    FINAL_REPORTED = "final_reported", _("Final report filed")
    CLOSED = "closed", _("Closed")


class Grade(models.TextChoices):
    """Incident grades of plan §1.5, lowest first (the order is used to compare them)."""

    GENERAL = "general", _("General (一般)")
    LARGER = "larger", _("Larger (较大)")
    MAJOR = "major", _("Major (重大)")
    ESPECIALLY_MAJOR = "especially_major", _("Especially major (特别重大)")


class ResponseLevel(models.TextChoices):
    LEVEL_I = "I", _("Level Ⅰ")
    LEVEL_II = "II", _("Level Ⅱ")
    LEVEL_III = "III", _("Level Ⅲ")


class Scenario(models.TextChoices):
    """The five on-site scenarios of plan §4.5, or another."""

    BOILER_EXPLOSION = "boiler_explosion", _("Boiler explosion")
    PIPELINE_DAMAGE = "pipeline_damage", _("Pipeline or facility damage")
    UNAUTHORISED_STOP = "unauthorised_stop", _("Unauthorised stop of heating")
    UTILITY_OUTAGE = "utility_outage", _("Large outage from a water or power cut")
    COAL_SHORTAGE = "coal_shortage", _("Coal shortage")
    OTHER = "other", _("Other")


class ReportChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    SYSTEM_ALERT = "system_alert", _("System alert")
    PUBLIC_COMPLAINT = "public_complaint", _("Public complaint")
    UPPER_NOTICE = "upper_notice", _("Notice from an upper level")


class ReportKind(models.TextChoices):
    FIRST = "first", _("First report")
    WRITTEN = "written", _("Written report")
    CONTINUATION = "continuation", _("Continuation report")
    FINAL = "final", _("Final report")


class UpwardRecipient(models.TextChoices):
    """Who a report is passed up to (plan §4.1), with the level each stands at."""

    COUNTY_COMMITTEE = "county_committee", _("County Party committee")
    COUNTY_GOVERNMENT = "county_government", _("County government")
    CITY_DEPARTMENT = "city_department", _("City department")
    CITY_HEADQUARTERS = "city_headquarters", _("City heating emergency headquarters")
    PROVINCE = "province", _("Provincial department")


RECIPIENT_LEVEL = {
    UpwardRecipient.COUNTY_COMMITTEE: 1,
    UpwardRecipient.COUNTY_GOVERNMENT: 1,
    UpwardRecipient.CITY_DEPARTMENT: 2,
    UpwardRecipient.CITY_HEADQUARTERS: 2,
    UpwardRecipient.PROVINCE: 3,
}


class UpwardChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    DOCUMENT_SYSTEM = "document_system", _("Government document system")
    FAX = "fax", _("Fax")
    EMAIL = "email", _("Email")
    IN_PERSON = "in_person", _("In person")


class DeadlineKind(models.TextChoices):
    WRITTEN_REPORT = "written_report", _("Written report due")
    INQUIRY_REPLY = "inquiry_reply", _("Reply to an upper-level inquiry due")
    NOTICE_ACK = "notice_ack", _("Acknowledgement of an activation notice due")
    # An unacknowledged notice went to the unit's leader in charge; the office director next.
    ESCALATION = "escalation", _("Escalation of an unacknowledged notice due")
