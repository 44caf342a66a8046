"""The written report exported as a Word document (incidents.docx_export)."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import override
from docx import Document

from directory.models import Unit
from incidents import services, written_report
from incidents.docx_export import written_report_docx

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONTENTS = {
    "occurred_at": "2026年1月10日 06时20分",
    "place": "南村镇东街换热站",
    "information_source": "换热站值班员电话报告",
    "category": "管道或设施严重损坏",
    "course_of_events": "06时20分主管道爆裂，热水外泄。\n06时30分关闭上游阀门。",
    "property_loss": "约20万元",
    "casualties": "重伤1人，无死亡",
    "initial_grade": "一般",
    "measures_taken": "关阀止漏，组织抢修队伍到场",
    "secondary_hazards": "路面结冰",
    "nearby_hazard_sources": "无",
    "warnings_issued": "已通知受影响小区",
    "evacuation_needed": "不需要",
    "support_needed": "需要县供热公司增派抢修设备",
    "site_leader_name": "王强",
    "site_leader_unit": "南村镇人民政府",
    "site_leader_phone": "13900002222",
    "reporter_name": "李明",
    "reporter_unit": "东街换热站",
    "reporter_phone": "13800001111",
}
FIGURES = {"deaths": 0, "serious_injuries": 1, "direct_loss": Decimal("200000"),
           "households_affected": 2000, "area_affected": Decimal("150000")}


@pytest.fixture
def duty_officer(make_user):
    return make_user("duty_officer")


def _incident(actor, **extra):
    now = timezone.now()
    return services.incident_reported(
        actor=actor, occurred_at=now - timedelta(minutes=10), reported_at=now - timedelta(minutes=5),
        township=Unit.objects.get(code="tw_nancun"), place="东街换热站", reporter_name="李明",
        reporter_phone="13800001111", channel="phone", scenario="pipeline_damage",
        description="主管道爆裂", **FIGURES, **extra)


def _written(actor, incident, contents=CONTENTS):
    return services.written_report_saved(actor=actor, incident=incident, contents=contents,
                                         figures=FIGURES)


def _text(data):
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _labels(elements):
    with override("zh-hans"):
        return [str(element.label) for element in elements]


def test_complete_report_has_title_every_element_and_figures(duty_officer):
    report = _written(duty_officer, _incident(duty_officer))
    text = _text(written_report_docx(report))
    with override("zh-hans"):
        scenario = report.incident.get_scenario_display()
    assert f"关于南村镇东街换热站{scenario}事件的书面报告" in text
    assert "县委、县政府：" in text
    for label in _labels(written_report.ELEMENTS):
        assert f"{label}：" in text
    for value in CONTENTS.values():
        for line in value.splitlines():
            assert line in text
    assert "尚缺" not in text and "【演练】" not in text and "（未填写）" not in text
    table = Document(io.BytesIO(written_report_docx(report))).tables[0]
    figures = dict(zip([c.text for c in table.rows[0].cells], [c.text for c in table.rows[1].cells],
                       strict=True))
    assert figures["停暖户数"] == "2000"
    assert figures["直接经济损失（元）"] == "200000"
    assert "泽州县供热突发事件应急救援指挥部办公室" in text
    submitted = timezone.localtime(report.submitted_at)
    assert f"{submitted.year}年{submitted.month}月{submitted.day}日 {submitted:%H:%M}" in text


def test_page_is_a4_with_official_document_margins(duty_officer):
    report = _written(duty_officer, _incident(duty_officer))
    section = Document(io.BytesIO(written_report_docx(report))).sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin,
                                  section.left_margin, section.right_margin)] == [37, 35, 28, 26]


def test_draft_lists_what_is_missing(duty_officer):
    missing = ["secondary_hazards", "site_leader_phone"]
    contents = {key: value for key, value in CONTENTS.items() if key not in missing}
    report = _written(duty_officer, _incident(duty_officer), contents)
    assert not report.is_complete
    text = _text(written_report_docx(report))
    labels = _labels(written_report.BY_KEY[key] for key in missing)
    assert f"（草稿，尚缺：{'、'.join(labels)}）" in text
    assert text.count("（未填写）") == 2


def test_drill_is_marked(duty_officer):
    report = _written(duty_officer, _incident(duty_officer, is_drill=True))
    assert "【演练】" in _text(written_report_docx(report))


def test_chinese_whatever_the_active_language(duty_officer):
    report = _written(duty_officer, _incident(duty_officer))
    with override("en"):
        data = written_report_docx(report)
    assert _text(data) == _text(written_report_docx(report))


def test_download_by_url(client_as):
    client, user = client_as("duty_officer")
    report = _written(user, _incident(user))
    response = client.get(f"/incidents/{report.incident.pk}/written.docx")
    assert response.status_code == 200
    assert response["Content-Type"] == DOCX
    assert "关于南村镇东街换热站" in _text(response.content)


def test_download_refused_without_a_position(client_as, duty_officer):
    report = _written(duty_officer, _incident(duty_officer))
    client, _user = client_as(None)
    assert client.get(f"/incidents/{report.incident.pk}/written.docx").status_code == 403
