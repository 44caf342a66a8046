"""The situation brief (态势简报): the command room's state as a printable page and as an
issued Word document (command_room.brief, brief_docx, services)."""

import io
import re

import pytest
from django.utils import translation
from docx import Document

from command_room.brief import LATEST_EVENTS
from directory import services as directory_services
from directory.choices import PositionCode as P
from directory.models import Unit
from tests.brief_helpers import build_bad_day
from timeline.models import Event
from timeline.sentences import subject

pytestmark = pytest.mark.django_db

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def bad_day(users, make_user):
    return build_bad_day(users, make_user)


def _page(client, user):
    client.force_login(user)
    answer = client.get("/command/brief/")
    assert answer.status_code == 200
    return answer.content.decode()


def _section(page, name):
    start = page.index(f'id="brief-{name}"')
    return page[start:page.index("</section>", start)]


def _docx_text(data):
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_the_page_lists_what_the_state_holds(client, users, bad_day):
    page = _page(client, users(P.OFFICE_DIRECTOR))
    incidents = _section(page, "incidents")
    for incident in ("busy", "quiet", "drill"):
        assert f'data-incident="{bad_day[incident].pk}"' in incidents
    busy = incidents[incidents.index(f'data-incident="{bad_day["busy"].pk}"'):]
    busy = busy[:busy.index("</tr>")]
    assert "Ⅰ级响应" in busy and "死亡1人、重伤3人，停暖3200户" in busy
    assert "书面报告时限" in busy and "已超时" in busy
    assert f"启动通知已确认1/{bad_day['notices']}" in busy
    totals = _section(page, "totals")
    assert 'data-total="households">3600<' in totals  # the drill's 900 are not counted
    units = len(bad_day["overdue_units"])
    # the units, and the written reports of the two real incidents
    assert f'data-total="overdue">{units + 2}<' in totals
    assert f'data-total="unacknowledged">{units}<' in totals
    assert 'data-total="warnings">1<' in totals
    assert "另有演练事件1起" in totals
    overdue = _section(page, "overdue")
    assert f"{units}个单位启动通知确认超时" in overdue
    assert all(unit.name in overdue for unit in bad_day["overdue_units"])
    groups = _section(page, "groups")
    assert f'data-response="{bad_day["response"].pk}"' in groups and "已确认" in groups
    assert "较大" in _section(page, "warnings")
    assert 'class="tag drill"' in incidents


def test_the_latest_events_leave_routine_administration_out(client, users, bad_day):
    unit = Unit.objects.get(code="tw_nancun")
    unit.short_name = "南村"
    directory_services.directory_object_saved(actor=users(P.ADMINISTRATOR), instance=unit)
    assert Event.objects.filter(kind="directory.unit.updated").exists()
    page = _section(_page(client, users(P.COMMANDER)), "events")
    shown = [int(seq) for seq in re.findall(r'data-seq="(\d+)"', page)]
    assert shown == sorted(shown, reverse=True) and len(shown) <= LATEST_EVENTS
    kinds = set(Event.objects.filter(seq__in=shown).values_list("kind", flat=True))
    assert {"deadline.overdue", "warning.issued", "response.started"} <= kinds
    assert not kinds & {"directory.unit.updated", "warning.drafted", "warning.submitted"}
    # the units' notices falling overdue at once: one line that says how many
    assert f"（同类{len(bad_day['overdue_units'])}条）" in page


def test_the_page_renders_in_english(client, users, bad_day):
    client.force_login(users(P.COMMANDER))
    client.cookies["django_language"] = "en"
    page = client.get("/command/brief/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Situation brief" in page and "Overall situation" in page
    assert "State as of" in page
    assert "Written report due" in page and "overdue" in page
    assert "1 dead, 3 seriously injured, 3,200 households without heat" in page
    assert "态势简报" not in page


def test_a_township_officer_sees_only_his_township(client, make_user, bad_day):
    officer = make_user(P.TOWNSHIP_OFFICER, unit_code="tw_xiacun")
    page = _page(client, officer)
    assert f'data-incident="{bad_day["quiet"].pk}"' in page
    assert f'data-incident="{bad_day["busy"].pk}"' not in page
    assert f'data-incident="{bad_day["drill"].pk}"' not in page
    assert "仅含以下单位的事件： 下村镇" in page
    assert 'data-total="households">400<' in _section(page, "totals")
    assert all(unit.name not in _section(page, "overdue")
               for unit in bad_day["overdue_units"])


def test_those_who_do_not_see_incidents_get_no_brief(client, make_user):
    client.force_login(make_user(P.ADMINISTRATOR))
    assert client.get("/command/brief/").status_code == 403
    assert client.post("/command/brief/issue/").status_code == 403
    assert not Event.objects.filter(kind="brief.issued").exists()


def test_the_issued_docx_holds_the_title_the_totals_and_each_incident(client, users, bad_day):
    client.force_login(users(P.COMMANDER))
    answer = client.post("/command/brief/issue/")
    assert answer.status_code == 200 and answer["Content-Type"] == DOCX
    assert "situation-brief-1-" in answer["Content-Disposition"]
    text = _docx_text(answer.content)
    assert "泽州县供热突发事件应急指挥部" in text and "态势简报" in text and "第1期" in text
    for heading in ("一、总体情况", "二、处置中的事件", "三、应急响应和工作组", "四、生效中的预警",
                    "五、超时事项和单位", "六、最新动态"):
        assert heading in text
    assert "停暖户数" in text and "3600" in text and "未确认通知的单位" in text
    for incident in ("busy", "quiet", "drill"):
        assert f"#{bad_day[incident].pk} " in text
    assert "【演练】" in text
    assert all(unit.name in text for unit in bad_day["overdue_units"])


def test_the_docx_names_its_fonts_and_is_chinese_for_an_english_reader(client, users, bad_day):
    client.force_login(users(P.COMMANDER))
    client.cookies["django_language"] = "en"
    answer = client.post("/command/brief/issue/", HTTP_ACCEPT_LANGUAGE="en")
    document = Document(io.BytesIO(answer.content))
    xml = document.element.xml
    assert "仿宋_GB2312" in xml and "黑体" in xml and "方正小标宋简体" in xml
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert "总体情况" in _docx_text(answer.content)


def test_issuing_numbers_the_brief_and_records_what_it_stated(client, users, make_user,
                                                               bad_day):
    client.force_login(users(P.COMMANDER))
    client.post("/command/brief/issue/")
    second = client.post("/command/brief/issue/")
    assert "第2期" in _docx_text(second.content)
    officer = make_user(P.TOWNSHIP_OFFICER, unit_code="tw_xiacun")
    client.force_login(officer)
    township = client.post("/command/brief/issue/")
    text = _docx_text(township.content)
    assert "第1期" in text and "本期仅含下村镇的事件" in text  # a series of its own
    issued = list(Event.objects.filter(kind="brief.issued").order_by("seq"))
    assert [(e.new["number"], e.new["scope"]) for e in issued] == [
        (1, ""), (2, ""), (1, "tw_xiacun")]
    county = issued[1].new
    assert set(county["incidents"]) == {bad_day[i].pk for i in ("busy", "quiet", "drill")}
    assert county["totals"]["levels"] == {"I": 1, "II": 0, "III": 0, "none": 1}
    assert county["totals"]["households"] == 3600 and county["totals"]["drills"] == 1
    assert issued[2].new["incidents"] == [bad_day["quiet"].pk]
    assert issued[0].actor == users(P.COMMANDER)
    with translation.override("en"):  # the record reads in the reader's language
        assert subject(issued[1]) == "Situation brief no. 2"
    with translation.override("zh-hans"):
        assert subject(issued[1]) == "态势简报第2期"


def test_reading_the_brief_records_nothing(client, users, bad_day):
    before = Event.objects.count()
    _page(client, users(P.COMMANDER))
    assert Event.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_issuers_at_once_get_two_numbers(users):
    from functools import partial

    from command_room.brief import situation_brief
    from command_room.services import situation_brief_issued
    from tests.approval_race import race

    commander, deputy = users(P.COMMANDER), users(P.DEPUTY_COMMANDER)
    rounds = 10
    for _round in range(rounds):
        assert race(*[partial(situation_brief_issued, actor=actor, brief=situation_brief(actor))
                      for actor in (commander, deputy)]) == ["ok", "ok"]
    numbers = sorted(Event.objects.filter(kind="brief.issued").values_list("new__number",
                                                                           flat=True))
    assert numbers == list(range(1, 2 * rounds + 1))
