from datetime import timedelta

from django.utils import timezone

from directory.models import Unit
from early_warnings import services


def complete_draft(actor, level="larger", **overrides):
    now = timezone.now()
    fields = dict(
        category="heating_facility", level=level, places="东街一带",
        starts_at=now, ends_at=now + timedelta(hours=12),
        impact="东街换热站主管道抢修，约2000户可能停暖12小时",
        watch_for="室内温度下降，老人儿童注意保暖", measures="关好门窗，使用电暖器注意用电安全",
        issuing_body="泽州县供热突发事件应急救援指挥部办公室", source="own_inspection")
    fields.update(overrides)
    townships = fields.pop("townships", [Unit.objects.get(code="tw_nancun")])
    return services.warning_draft_saved(actor=actor, townships=townships, **fields)
