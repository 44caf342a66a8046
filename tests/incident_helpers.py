"""Building blocks for the incident tests: a first report as the intake page sends it."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from directory.models import Unit
from incidents import services, written_report


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def intake_form(**overrides):
    """POST data of the intake page: a burst main pipe in 南村镇 at 3 a.m."""
    now = timezone.now()
    data = {
        "occurred_at": local(now - timedelta(minutes=20)), "reported_at": local(now),
        "township": Unit.objects.get(code="tw_nancun").pk, "place": "东街换热站",
        "reporter_name": "李明", "reporter_phone": "13800001111", "channel": "phone",
        "scenario": "pipeline_damage", "description": "主管道爆裂，约2000户停暖，1名工人烫伤",
        "deaths": 0, "serious_injuries": 1, "direct_loss": "200000",
        "households_affected": 2000, "area_affected": "150000",
    }
    data.update(overrides)
    return data


def api_intake(**overrides):
    data = intake_form(**overrides)
    data["township"] = Unit.objects.get(pk=data["township"]).code if isinstance(
        data["township"], int) else data["township"]
    data["occurred_at"] = (timezone.now() - timedelta(minutes=20)).isoformat() \
        if "occurred_at" not in overrides else overrides["occurred_at"]
    data["reported_at"] = timezone.now().isoformat() \
        if "reported_at" not in overrides else overrides["reported_at"]
    return data


def report_incident(actor, **overrides):
    now = timezone.now()
    fields = dict(
        occurred_at=now - timedelta(minutes=20), reported_at=now,
        township=Unit.objects.get(code="tw_nancun"), place="东街换热站", reporter_name="李明",
        reporter_phone="13800001111", channel="phone", scenario="pipeline_damage",
        description="主管道爆裂", deaths=0, serious_injuries=1, direct_loss=Decimal("200000"),
        households_affected=2000, area_affected=Decimal("150000"))
    fields.update(overrides)
    return services.incident_reported(actor=actor, **fields)


def figures_of(incident, **changes):
    figures = incident.figures()
    figures.update(changes)
    return figures


def complete_contents(**overrides):
    contents = {key: f"{key} 内容" for key in written_report.KEYS}
    contents.update(site_leader_phone="13900002222", reporter_phone="13800001111")
    contents.update(overrides)
    return contents


def fill_intake_page(page):
    """The intake page in a browser: the required fields only, as on a phone at 3 a.m."""
    page.fill("#id_occurred_at", "2026-01-01T02:40")
    page.select_option("#id_township", label="南村镇")
    page.fill("#id_place", "东街换热站")
    page.fill("#id_reporter_name", "李明")
    page.fill("#id_reporter_phone", "138 0000 1111")
    page.select_option("#id_channel", "phone")
    page.select_option("#id_scenario", "pipeline_damage")
    page.fill("#id_description", "主管道爆裂，约2000户停暖，1名工人烫伤")
    page.fill("#id_serious_injuries", "1")
    page.fill("#id_households_affected", "2000")
