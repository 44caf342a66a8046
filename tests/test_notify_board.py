"""The delivery board (/notify/deliveries/): real deliveries made through notify's services on
the outbox backend (a failure that falls back to WeCom, a temporary failure still retrying,
deliveries receipted and acknowledged), its filters, its Excel export, who may read it, and
the escalation steps that went to nobody, the command room's, the wall's and the unit
dashboard's "已送达 n/m · 已确认 k/m"."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from directory.choices import PositionCode
from directory.models import Person, Unit
from directory.services import SYSTEM, leader_in_charge_set
from early_warnings import services as warning_services
from incidents.clocks import sweep_deadlines
from notify import escalation, services
from notify.backends import backend_for
from notify.choices import ACKNOWLEDGED_MEANWHILE, NO_LEADER_IN_CHARGE, Channel
from notify.models import ChannelAddress, Delivery, Message
from notify.reasons import reason
from response import services as response_services
from response.choices import CONDITIONS
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft

P = PositionCode
MAY_READ = {P.COMMANDER, P.DEPUTY_COMMANDER, P.OFFICE_DIRECTOR, P.DUTY_OFFICER, P.ADMINISTRATOR}
BOARD = "/notify/deliveries/"
EXPORT = "/notify/deliveries/export.xlsx"


def outbox(fail=None):
    return {"BACKEND": "notify.backends.outbox.OutboxBackend",
            "OPTIONS": {"receipt_delay_seconds": 0, "fail": fail or {}}}


@pytest.fixture
def people(make_user, settings):
    """Three liaisons: the police's SMS is refused for good (it falls back to WeCom), the
    transport bureau's gateway is down (retrying), the housing bureau's goes through. The
    police liaison's name would be a formula in a spreadsheet."""
    police = make_user(P.UNIT_LIAISON, unit_code="gaj").person
    housing = make_user(P.UNIT_LIAISON, unit_code="zjj").person
    transport = make_user(P.UNIT_LIAISON, unit_code="jtj").person
    Person.objects.filter(pk=police.pk).update(name="=HYPERLINK(\"http://x\")")
    police.refresh_from_db()
    ChannelAddress.objects.create(person=police, channel=Channel.WECOM, address="police-wx")
    box = outbox({police.mobile: "permanent", transport.mobile: "temporary"})
    settings.NOTIFY_BACKENDS = {"sms": box, "wecom": box, "email": box}
    backend_for.cache_clear()
    yield {"police": police, "housing": housing, "transport": transport}
    backend_for.cache_clear()


@pytest.fixture
def activation(people, make_user):
    """A Level Ⅰ activation, handed over, receipted, the police's notice acknowledged."""
    duty, commander = make_user(P.DUTY_OFFICER), make_user(P.COMMANDER)
    incident = report_incident(duty)
    response = response_services.response_started_directly(
        actor=commander, incident=incident, level="I", reason="万户停暖")
    services.hand_over_due()
    services.receipts_polled()
    police_notice = response.notices.get(unit__code="gaj")
    response_services.notice_acknowledged(actor=people["police"].user, notice=police_notice)
    return {"incident": incident, "response": response, "duty": duty, "commander": commander,
            **people}


def delivery(person, channel="sms"):
    return Delivery.objects.get(person=person, channel=channel)


def rows_of(html):
    return html.count("data-delivery=")


@pytest.mark.django_db
def test_the_deliveries_are_as_the_services_made_them(activation):
    police, housing, transport = (activation[k] for k in ("police", "housing", "transport"))
    sms = delivery(police)
    assert (sms.status, sms.error_code) == ("failed", "outbox.rejected")
    wecom = delivery(police, "wecom")
    assert (wecom.status, wecom.fallback_of) == ("delivered", sms)
    assert delivery(housing).status == "delivered"
    waiting = delivery(transport)
    assert (waiting.status, waiting.error_code) == ("queued", "outbox.unavailable")
    assert Delivery.objects.count() == 4


@pytest.mark.django_db
def test_the_board_shows_who_was_sent_what_and_what_became_of_it(client, activation):
    client.force_login(activation["duty"])
    html = client.get(BOARD).content.decode()
    assert "送达情况" in html and "工作组启动通知" in html  # Chinese by default
    assert rows_of(html) == 4
    police, housing, transport = (activation[k] for k in ("police", "housing", "transport"))
    failed = html[html.index(f'data-delivery="{delivery(police).pk}"'):]
    assert "失败" in failed[:800] and "网关拒收（outbox.rejected）" in failed[:800]
    assert "已确认" in failed[:800]  # the police's notice was acknowledged
    fallback = html[html.index(f'data-delivery="{delivery(police, "wecom").pk}"'):][:800]
    assert "企业微信" in fallback and "短信失败后改用" in fallback and "已送达" in fallback
    retrying = html[html.index(f'data-delivery="{delivery(transport).pk}"'):][:800]
    assert "网关不可用（outbox.unavailable）" in retrying and "排队中" in retrying
    assert police.mobile in html and housing.mobile in html  # the office sees every number
    assert f'href="/incidents/{activation["incident"].pk}/"' in html
    assert html.count('class="message-head"') == 3  # one heading per notice


@pytest.mark.django_db
@pytest.mark.parametrize("query, expected", [
    ("show=failed", {("police", "sms")}),
    ("show=unacknowledged", {("housing", "sms"), ("transport", "sms")}),
    ("channel=wecom", {("police", "wecom")}),
    ("kind=warning", set()),
])
def test_the_board_filters(client, activation, query, expected):
    client.force_login(activation["duty"])
    html = client.get(f"{BOARD}?{query}").content.decode()
    shown = {(name, channel) for name in ("police", "housing", "transport")
             for channel in ("sms", "wecom")
             if Delivery.objects.filter(person=activation[name], channel=channel).exists()
             and f'data-delivery="{delivery(activation[name], channel).pk}"' in html}
    assert shown == expected, query


@pytest.mark.django_db
def test_the_board_filters_by_incident_unit_and_undelivered_minutes(client, activation):
    client.force_login(activation["duty"])
    incident = activation["incident"].pk
    assert rows_of(client.get(f"{BOARD}?incident={incident}").content.decode()) == 4
    assert rows_of(client.get(f"{BOARD}?incident={incident + 1000}").content.decode()) == 0
    housing = Unit.objects.get(code="zjj").pk
    html = client.get(f"{BOARD}?unit={housing}").content.decode()
    assert rows_of(html) == 1 and f'data-delivery="{delivery(activation["housing"]).pk}"' in html
    # Not delivered after N minutes: only the one still retrying, once it is N minutes old.
    assert rows_of(client.get(f"{BOARD}?show=undelivered&minutes=5").content.decode()) == 0
    Delivery.objects.update(created_at=timezone.now() - timedelta(minutes=8))
    html = client.get(f"{BOARD}?show=undelivered&minutes=5").content.decode()
    assert rows_of(html) == 1 and f'data-delivery="{delivery(activation["transport"]).pk}"' in html
    assert rows_of(client.get(f"{BOARD}?show=undelivered&minutes=10").content.decode()) == 0
    assert rows_of(client.get(f"{BOARD}?show=undelivered").content.decode()) == 0  # 10 min


@pytest.mark.django_db
@pytest.mark.parametrize("query, field", [
    ("minutes=abc", "N（分钟）"), ("minutes=0", "N（分钟）"), ("incident=-3", "事件编号"),
    ("show=everything", "显示范围"), ("channel=fax", "渠道"),
])
def test_a_filter_that_does_not_fit_is_refused_by_name(client, activation, query, field):
    client.force_login(activation["duty"])
    page = client.get(f"{BOARD}?{query}")
    assert page.status_code == 400
    assert f'<p class="error" role="alert">{field}: ' in page.content.decode()
    export = client.get(f"{EXPORT}?{query}")
    assert export.status_code == 400 and "spreadsheetml" not in export["Content-Type"]


@pytest.mark.django_db
def test_the_board_of_a_warning_lists_its_deliveries(client, activation):
    commander = activation["commander"]
    warning = complete_draft(activation["duty"])
    warning = warning_services.warning_submitted(actor=activation["duty"], warning=warning)
    warning = warning_services.warning_approved(actor=commander, warning=warning)
    services.hand_over_due()
    client.force_login(activation["duty"])
    page = client.get(reverse("early_warnings:detail", args=[warning.pk])).content.decode()
    assert f'href="{BOARD}?warning={warning.pk}"' in page
    html = client.get(f"{BOARD}?warning={warning.pk}").content.decode()
    expected = Delivery.objects.filter(message__warning=warning)
    assert expected.count() >= 3 and rows_of(html) == expected.count()
    assert f"预警#{warning.pk}" in html and "预警" in html


@pytest.mark.django_db
def test_the_incident_page_links_its_notices_deliveries(client, activation):
    client.force_login(activation["duty"])
    incident = activation["incident"].pk
    html = client.get(reverse("incidents:detail", args=[incident])).content.decode()
    assert f'href="{BOARD}?incident={incident}&amp;kind=activation"' in html


@pytest.mark.django_db
def test_the_export_opens_in_excel_with_the_board_s_rows(client, activation):
    client.force_login(activation["duty"])
    answer = client.get(f"{EXPORT}?show=unacknowledged")
    assert answer.status_code == 200 and "spreadsheetml" in answer["Content-Type"]
    assert answer["Content-Disposition"].startswith('attachment; filename="deliveries-')
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间", "消息", "事由", "接收人")
    assert len(rows) == 3  # the header and the two unacknowledged
    assert {row[3] for row in rows[1:]} == {activation["housing"].name,
                                            activation["transport"].name}
    everything = load_workbook(io.BytesIO(client.get(EXPORT).content)).active
    cells = [row for row in everything.iter_rows(values_only=True)][1:]
    assert len(cells) == 4
    police = [row for row in cells if "HYPERLINK" in str(row[3])]
    assert police and all(row[3].startswith("'=") for row in police)  # never a formula
    assert activation["transport"].mobile in {row[6] for row in cells}
    assert "网关不可用（outbox.unavailable）" in {row[12] for row in cells}


@pytest.mark.django_db
def test_a_reader_who_may_not_see_every_mobile_sees_them_masked_on_the_page_and_in_excel(
        client_as, activation):
    client, user = client_as(None)
    user.user_permissions.add(Permission.objects.get(codename="view_deliveries"))
    mobile = activation["housing"].mobile
    html = client.get(BOARD).content.decode()
    assert rows_of(html) == 4 and mobile not in html
    assert mobile[:3] + "****" + mobile[-4:] in html
    sheet = load_workbook(io.BytesIO(client.get(EXPORT).content)).active
    addresses = {row[6] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert mobile not in addresses and mobile[:3] + "****" + mobile[-4:] in addresses


@pytest.mark.django_db
@pytest.mark.parametrize("position", list(P))
def test_every_position_is_allowed_or_refused(client_as, position, activation):
    client, _user = client_as(position)
    page, export = client.get(BOARD), client.get(EXPORT)
    menu = client.get(reverse("home"), follow=True).content.decode()
    if position in MAY_READ:
        assert page.status_code == 200 and export.status_code == 200, position
        assert f'href="{BOARD}"' in menu
    else:
        assert page.status_code == 403 and export.status_code == 403, position
        assert activation["housing"].mobile not in page.content.decode()
        assert f'href="{BOARD}"' not in menu


@pytest.mark.django_db
def test_the_board_reads_in_english(client, activation):
    client.force_login(activation["duty"])
    client.cookies["django_language"] = "en"
    html = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Delivery board" in html and "Refused by the gateway (outbox.rejected)" in html


@pytest.mark.parametrize("code, words", [
    ("isv.MOBILE_NUMBER_ILLEGAL", "号码无效"), ("isv.BUSINESS_LIMIT_CONTROL", "网关限流"),
    ("ESME_RTHROTTLED", "网关限流"), ("45009", "网关限流"), ("unreachable", "网关不可用"),
    ("http_503", "网关不可用"), ("UNDELIV:001", "未送达手机"), ("ESME_RINVDSTADR", "号码无效"),
    ("550", "号码无效"), ("421", "网关不可用"), ("isv.AMOUNT_NOT_ENOUGH", "网关账户余额不足"),
    ("no_address", "该渠道无联系方式"), ("attempts_exhausted", "多次重试未成功"),
    ("something.new", "网关拒收"), ("", ""),
])
def test_provider_codes_read_as_a_short_reason(code, words):
    from django.utils import translation

    with translation.override("zh-hans"):
        assert reason(code) == words


# --- escalation steps that went to nobody ----------------------------------------------------


@pytest.fixture
def escalated(activation, make_user):
    """The two notices left unacknowledged fall overdue: the transport bureau's goes to its
    leader in charge, the housing bureau (no leader in charge) skips that step."""
    make_user(P.OFFICE_DIRECTOR)
    leader = Person.objects.create(name="交通分管领导", unit=Unit.objects.get(code="jtj"),
                                   mobile="13900008888")
    leader_in_charge_set(actor=SYSTEM, unit=Unit.objects.get(code="jtj"), person=leader)
    sweep_deadlines(timezone.now() + timedelta(minutes=16))
    notices = activation["response"].notices
    skipped, stepped = notices.get(unit__code="zjj"), notices.get(unit__code="jtj")
    assert skipped.escalations.get(step=1).skipped == NO_LEADER_IN_CHARGE
    assert stepped.escalations.get(step=1).skipped == ""
    return {**activation, "skipped": skipped, "stepped": stepped}


def heading(html, notice):
    message = Message.objects.get(notice=notice, kind="activation")
    head = html[html.index(f'data-message="{message.pk}"'):]
    return head[:head.index("</tr>")]


SKIPPED_ZH = "第一步（分管领导）：未设分管领导，已跳过"


@pytest.mark.django_db
def test_the_board_tells_a_notice_s_escalation_step_that_went_to_nobody(client, escalated):
    client.force_login(escalated["duty"])
    incident = escalated["incident"].pk
    for query in ("", f"?incident={incident}&kind=activation", "?show=unacknowledged"):
        html = client.get(f"{BOARD}{query}").content.decode()
        assert SKIPPED_ZH in heading(html, escalated["skipped"]), query
        assert "已跳过" not in heading(html, escalated["stepped"]), query
    client.cookies["django_language"] = "en"
    html = client.get(BOARD).content.decode()
    assert ("Step 1 (leader in charge): no leader in charge set, skipped"
            in heading(html, escalated["skipped"]))


@pytest.mark.django_db
def test_the_export_tells_the_skipped_step_on_each_row_of_the_notice(client, escalated):
    client.force_login(escalated["duty"])
    answer = client.get(f"{EXPORT}?kind=activation")
    rows = list(load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True))
    column = rows[0].index("跳过的升级步骤")
    skipped = {row[3]: row[column] or "" for row in rows[1:]}
    assert skipped[escalated["housing"].name].startswith(SKIPPED_ZH)
    assert skipped[escalated["transport"].name] == ""


# --- the command room and the unit dashboard ------------------------------------------------


@pytest.mark.django_db
def test_the_command_room_counts_each_incident_s_notices_delivered_and_acknowledged(
        client, activation):
    client.force_login(activation["duty"])
    room = client.get("/command/?panels=1").content.decode()
    row = room[room.index(f'data-incident="{activation["incident"].pk}"'):]
    # Three recipients (the police's WeCom fallback is the same person): the police's and
    # the housing bureau's delivered, the police's notice acknowledged.
    assert "已送达 2/3 · 已确认 1/3" in row[:3000]
    assert 'data-recipients="3" data-delivered="2" data-acknowledged="1"' in row


@pytest.mark.django_db
def test_the_unit_dashboard_counts_its_own_notice(client, activation):
    client.force_login(activation["housing"].user)
    html = client.get("/command/unit/?panels=1").content.decode()
    notice = activation["response"].notices.get(unit__code="zjj")
    item = html[html.index(f'data-notice="{notice.pk}"'):][:1500]
    assert "已送达 1/1 · 已确认 0/1" in item


def wall_row(client, incident):
    wall = client.get("/command/wall/?panels=1").content.decode()
    row = wall[wall.index(f'data-incident="{incident.pk}"'):]
    return row[:row.index("</li>")]


@pytest.mark.django_db
def test_the_wall_row_counts_the_notices_as_their_deliveries_change(client, people, make_user,
                                                                     settings):
    """The wall reads the county's board kept from one event to the next: each receipt and
    acknowledgement brings its incident's row up to date."""
    settings.LIVE_PANELS_SHARED = True
    duty, commander = make_user(P.DUTY_OFFICER), make_user(P.COMMANDER)
    incident = report_incident(duty)
    response = response_services.response_started_directly(
        actor=commander, incident=incident, level="I", reason="万户停暖")
    client.force_login(duty)
    assert "已送达 0/3 · 已确认 0/3" in wall_row(client, incident)
    services.hand_over_due()
    services.receipts_polled()
    assert "已送达 2/3 · 已确认 0/3" in wall_row(client, incident)
    response_services.notice_acknowledged(actor=people["housing"].user,
                                          notice=response.notices.get(unit__code="zjj"))
    row = wall_row(client, incident)
    assert "已送达 2/3 · 已确认 1/3" in row
    assert 'data-recipients="3" data-delivered="2" data-acknowledged="1"' in row
    client.cookies["django_language"] = "en"
    assert "Delivered 2/3 · acknowledged 1/3" in wall_row(client, incident)


def incidents_with_deliveries(duty, commander, count):
    """`count` incidents, each with a Level Ⅱ response whose notices were handed over."""
    for n in range(count):
        incident = report_incident(duty, place=f"{n}号换热站")
        response_services.response_started_directly(
            actor=commander, incident=incident, level="II", reason="寒潮")
    services.hand_over_due()
    services.receipts_polled()


@pytest.mark.django_db
def test_the_command_room_reads_the_counts_with_the_same_queries_at_5_and_25_incidents(
        client, people, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    duty, commander = make_user(P.DUTY_OFFICER), make_user(P.COMMANDER)
    client.force_login(duty)
    client.get("/command/?panels=1")  # the session's first save is not the board's

    def queries():
        with CaptureQueriesContext(connection) as captured:
            room = client.get("/command/?panels=1")
        assert room.status_code == 200
        return len(captured), room.content.decode().count('data-kind="deliveries"')

    incidents_with_deliveries(duty, commander, 5)
    at_5, shown = queries()
    assert shown == 5
    incidents_with_deliveries(duty, commander, 20)
    assert queries() == (at_5, 25)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_board_fits_a_phone(browser, live_server, activation):
    from tests.test_phone_browser import assert_fits, on_phone

    Delivery.objects.filter(person=activation["housing"]).update(
        error_code="isv.MOBILE_NUMBER_ILLEGAL")
    context, page = on_phone(browser, live_server, activation["duty"])
    try:
        page.goto(f"{live_server.url}{BOARD}")
        assert page.locator("[data-delivery]").count() == 4
        assert_fits(page, "delivery board")
        page.select_option("#id_show", "failed")
        page.click(".deliveries-filters button[type=submit]")
        page.wait_for_url(lambda url: "show=failed" in url)
        assert page.locator("[data-delivery]").count() == 1
        assert_fits(page, "delivery board, failed")
    finally:
        context.close()


@pytest.mark.django_db
def test_a_director_s_step_not_sent_because_the_unit_acknowledged_meanwhile_says_so(
        client, escalated):
    """The housing bureau, with no leader in charge, went straight to the director's step,
    which waits for its digest; the bureau acknowledges first: the step is settled unsent,
    and the board says why rather than a code."""
    housing = escalated["skipped"]
    response_services.notice_acknowledged(actor=escalated["housing"].user, notice=housing)
    escalation.escalation_digests_sent(timezone.now() + timedelta(minutes=1))
    assert housing.escalations.get(step=2).skipped == ACKNOWLEDGED_MEANWHILE
    client.force_login(escalated["duty"])
    html = client.get(BOARD).content.decode()
    assert "第二步（办公室主任）：发送前已确认，未发送" in heading(html, housing)
    assert "acknowledged_meanwhile" not in html


# --- notices that went to nobody -------------------------------------------------------------


def unreached_part(html):
    if "data-unreached " not in html and "data-unreached>" not in html:
        return ""
    part = html[html.index("data-unreached"):]
    return part[:part.index("</section>")]


@pytest.mark.django_db
def test_the_board_names_the_units_whose_notice_went_to_nobody(client, activation):
    """Only the police, housing and transport bureaus have a liaison: every other unit of the
    Level Ⅰ has nobody to send its notice to, and the office must telephone them."""
    client.force_login(activation["duty"])
    response = activation["response"]
    nobody = sorted(response.notices.exclude(unit__code__in=("gaj", "zjj", "jtj"))
                    .values_list("unit__short_name", flat=True))
    assert nobody
    part = unreached_part(client.get(BOARD).content.decode())
    assert "无人可发的启动通知" in part and f"#{activation['incident'].pk}" in part
    assert all(name in part for name in nobody)
    assert "县住建局" not in part and "县公安局" not in part  # reached
    assert f"{len(nobody)}个单位" in part
    for query in ("kind=warning", "channel=sms", f"unit={Unit.objects.get(code='zjj').pk}",
                  f"incident={activation['incident'].pk + 1000}"):
        assert unreached_part(client.get(f"{BOARD}?{query}").content.decode()) == "", query
    one = response.notices.exclude(unit__code__in=("gaj", "zjj", "jtj")).first().unit
    part = unreached_part(client.get(f"{BOARD}?unit={one.pk}").content.decode())
    assert one.short_name in part and "1个单位" in part
    client.cookies["django_language"] = "en"
    assert "Activation notices sent to nobody" in unreached_part(client.get(BOARD).content.decode())

    for condition, _label in CONDITIONS:
        response_services.condition_confirmed(actor=activation["commander"], response=response,
                                              condition=condition)
    response_services.response_ended(actor=activation["commander"], response=response)
    assert unreached_part(client.get(BOARD).content.decode()) == ""  # nobody to call any more
