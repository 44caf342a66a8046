"""The public notice of a warning: short, plain Chinese, for SMS, posters and broadcast."""

from django.utils import timezone
from django.utils.translation import override

from early_warnings.choices import WarningLevel, WarningState
from zezhou_heat.text import printable


def _when(moment):
    local = timezone.localtime(moment)
    return f"{local.month}月{local.day}日{local.hour}时" + (
        f"{local.minute}分" if local.minute else "")


def public_notice(warning, townships=None):
    """The notice the county headquarters office signs, or None for a warning reported up
    to the upper government (重大以上 beyond the county): that level issues it and words its
    own notice, so the county publishes none. `townships` may be given for a warning not
    yet saved (the drafting preview). Control characters in stored text are left out."""
    if warning.state == WarningState.REPORTED_UP:
        return None
    names = townships if townships is not None else list(
        warning.townships.values_list("short_name", flat=True)) if warning.pk else []
    area = "、".join(names) or "有关区域"
    if warning.places:
        area += f"（{warning.places}）"
    with override("zh-hans"):
        level = str(WarningLevel(warning.level).label) if warning.level else "风险预警"
    level = level.split("(")[0].strip()
    period = f"自{_when(warning.starts_at)}起" if warning.starts_at else ""
    if warning.ends_at:
        period += f"至{_when(warning.ends_at)}"
    sentences = [f"{period}{'，' if period else ''}{area}{warning.impact or '供热可能受到影响'}"]
    if warning.watch_for:
        sentences.append(f"请注意：{warning.watch_for}")
    if warning.measures:
        sentences.append(f"请您：{warning.measures}")
    body = "。".join(sentence.rstrip("。") for sentence in sentences) + "。"
    drill = "演练·" if warning.is_drill else ""
    return printable(f"【{drill}泽州县供热{level}】{body}——{warning.issuing_body}")
