from django.db import models
from django.utils.translation import gettext_lazy as _


class WarningLevel(models.TextChoices):
    """Plan §3.3, lowest first."""

    GENERAL = "general", _("General risk warning (一般)")
    LARGER = "larger", _("Larger risk warning (较大)")
    MAJOR = "major", _("Major or higher risk warning (重大以上)")


class WarningCategory(models.TextChoices):
    HEATING_FACILITY = "heating_facility", _("Heating facilities")
    COLD_WAVE = "cold_wave", _("Cold wave and low temperature")
    FUEL_SHORTAGE = "fuel_shortage", _("Coal or fuel shortage")
    UTILITY_OUTAGE = "utility_outage", _("Water or power outage")
    OTHER = "other", _("Other")


class WarningSource(models.TextChoices):
    """Where the warning information came from (§3.2)."""

    PUBLIC_MEDIA = "public_media", _("Public media")
    UPPER_NOTICE = "upper_notice", _("Notice from an upper level")
    RISK_ASSESSMENT = "risk_assessment", _("Risk assessment")
    MONITORING = "monitoring", _("Monitoring data")
    OWN_INSPECTION = "own_inspection", _("Own inspection")


class WarningState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Pending approval")
    REJECTED = "rejected", _("Rejected")
    ISSUED = "issued", _("In effect")
    REPORTED_UP = "reported_up", _("Reported to the upper government")
    LIFTED = "lifted", _("Lifted")


# A warning that may still be edited by the office (and then submitted).
EDITABLE_STATES = [WarningState.DRAFT, WarningState.REJECTED]


class Channel(models.TextChoices):
    VERBAL = "verbal", _("Verbal notice")
    SMS = "sms", _("SMS")
    LEAFLETS = "leaflets", _("Leaflets")
    DOOR_TO_DOOR = "door_to_door", _("Door to door")
    POSTERS = "posters", _("Posters")
    RADIO = "radio", _("Radio communication")
    WIRED_PHONE = "wired_phone", _("Wired telephone")
    BROADCAST = "broadcast", _("Broadcast")
    MULTIMEDIA = "multimedia", _("Multimedia")
    WECHAT = "wechat", _("WeChat")
    TV = "tv", _("Television")
    NEWSPAPER = "newspaper", _("Newspapers")
    TELEPHONE = "telephone", _("Telephone")
    TARGETED = "targeted", _("Targeted notice: elderly, weak, sick, disabled, pregnant, "
                            "schools and alarm blind spots")


# Plan §3.3: the channels of each level, preselected when a warning is issued.
LEVEL_CHANNELS = {
    WarningLevel.GENERAL: [Channel.VERBAL, Channel.SMS, Channel.LEAFLETS, Channel.DOOR_TO_DOOR,
                           Channel.POSTERS],
    WarningLevel.LARGER: [Channel.RADIO, Channel.WIRED_PHONE, Channel.BROADCAST,
                          Channel.MULTIMEDIA, Channel.WECHAT, Channel.POSTERS],
    WarningLevel.MAJOR: [Channel.TV, Channel.NEWSPAPER, Channel.RADIO, Channel.TELEPHONE,
                         Channel.BROADCAST, Channel.MULTIMEDIA, Channel.WECHAT, Channel.POSTERS,
                         Channel.TARGETED],
}
