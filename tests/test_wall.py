"""The wall screen (/command/wall/) and the command room on a bad day: twenty incidents, a
Level Ⅰ response whose 22 notices all went unacknowledged. The board is read with the same
number of queries whatever the number of incidents; the wall fits 1920×1080 without scrolling,
in large type, and counts what it cannot show."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from playwright.sync_api import expect

from command_room.selectors import command_room
from directory.choices import PositionCode
from directory.models import Unit
from incidents.clocks import sweep_deadlines
from incidents.models import Deadline
from notify import services as notify_services
from notify.backends import backend_for
from notify.models import Delivery
from response import services as response_services
from response.choices import RUNNING_STATES
from response.models import Notice, Response
from tests.conftest import logged_in
from tests.incident_helpers import report_incident
from tests.live_helpers import asgi_server, use_channel_layer
from zezhou_heat import figures

WALL = {"width": 1920, "height": 1080}
# Levels of the responses started on the bad day's incidents, most urgent first; the rest
# of the incidents have none.
LEVELS = ["I", "II", "II", "III", "III", "III", "III"]


def bad_day(duty, commander, count, start=0):
    """`count` incidents across the townships, responses at LEVELS on the first of them,
    and every clock so far let fall due and marked overdue by the sweep."""
    townships = list(Unit.objects.filter(kind="township").order_by("order"))
    incidents = []
    for n in range(start, start + count):
        incident = report_incident(duty, township=townships[n % len(townships)],
                                   place=f"{n}号换热站", households_affected=100 * (n + 1))
        if n < len(LEVELS):
            response_services.response_started_directly(
                actor=commander, incident=incident, level=LEVELS[n], reason="寒潮")
        incidents.append(incident)
    past = timezone.now() - timedelta(minutes=5)
    Deadline.objects.unsettled().update(due_at=past, remind_at=past - timedelta(minutes=10))
    sweep_deadlines()
    return incidents


def liaisons_everywhere(make_user):
    """A liaison in every member unit: each notice of the bad day goes to someone, so the
    wall's rows count deliveries."""
    for code in Unit.objects.filter(kind="member").values_list("code", flat=True):
        make_user(PositionCode.UNIT_LIAISON, unit_code=code)


def activation_recipients(incident):
    return Delivery.objects.filter(message__incident=incident, message__kind="activation",
                                   fallback_of__isnull=True).count()


def panel_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_board_reads_with_the_same_queries_at_10_and_30_incidents(client, make_user,
                                                                      settings):
    settings.LIVE_PANELS_SHARED = False  # each request reads the board whole
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    liaisons_everywhere(make_user)  # the rows count their notices' deliveries too
    pages = {duty: ["/command/?panels=1", "/command/wall/?panels=1"],
             liaison: ["/command/unit/?panels=1"]}
    bad_day(duty, commander, 10)
    before = {}
    for user, urls in pages.items():
        client.force_login(user)
        before.update({url: panel_queries(client, url) for url in urls})
    bad_day(duty, commander, 20, start=10)
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            assert panel_queries(client, url) == before[url], url
    client.force_login(duty)
    wall = client.get("/command/wall/?panels=1").content.decode()
    assert wall.count('data-kind="deliveries"') == 7  # every row shown has its counts


def test_the_wall_counts_what_it_shows_and_folds_the_least_urgent(client, make_user):
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    Unit.objects.filter(code="zjj").update(short_name="<i>县住建局</i>")  # names are data
    incidents = bad_day(duty, commander, 20)
    client.force_login(duty)
    room = client.get("/command/?panels=1").content.decode()
    assert "&lt;i&gt;县住建局&lt;/i&gt;" in room and "<i>县住建局" not in room
    wall = client.get("/command/wall/").content.decode()
    assert 'class="topbar' not in wall and 'name="language"' not in wall  # a kiosk
    assert wall.count("data-incident=") == 7 and 'data-folded="13"' in wall
    assert wall.index(f'data-incident="{incidents[0].pk}"') < wall.index(
        f'data-incident="{incidents[1].pk}"')  # Level Ⅰ first
    assert "22个单位超时未确认" in wall and "等" in wall
    first = command_room(duty)["incidents"][0]  # rows read as attributes in Python too
    assert (first.pk, first.response.level, first.notices_overdue) == (incidents[0].pk, "I", 22)
    totals = expected_totals()
    for key, value in totals.items():
        assert f'data-total="{key}"><span class="total-value">{value}<' in wall, key
    assert 'href="/command/wall/"' in client.get("/command/").content.decode()
    client.force_login(make_user(PositionCode.ADMINISTRATOR))
    assert client.get("/command/wall/").status_code == 403


def test_the_wall_carries_every_label_live_js_reads(client, make_user):
    """The wall is a page of its own (no base.html), so nothing else gives it the words
    live.js writes: a label live.js reads and the wall lacks would show as "undefined"."""
    script = (Path(__file__).parent.parent / "static/js/live.js").read_text()
    read = re.findall(r"labels\.label(\w+)", script) + [
        state.capitalize() for state in re.findall(r'setStatus\("(\w+)"\)', script)]
    wanted = {re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower() for name in read}
    client.force_login(make_user(PositionCode.DUTY_OFFICER))
    wall = client.get("/command/wall/").content.decode()
    assert {name for name in wanted if f"data-label-{name}=" not in wall} == set()
    assert len(wanted) >= 6  # the reading above found them


def figure_in_chinese(value):
    with translation.override("zh-hans"):
        return figures.amount(value)


def expected_totals():
    """The wall's totals, counted here from the database by other means, as the Chinese
    wall shows them (households "2.1万", as every figure)."""
    from incidents.models import Incident

    active = Incident.objects.exclude(status="closed")
    running = {r.incident_id: r.level for r in
               Response.objects.filter(state__in=RUNNING_STATES)}
    levels = [running.get(i.pk, "none") for i in active]
    return {
        "level-I": levels.count("I"), "level-II": levels.count("II"),
        "level-III": levels.count("III"), "level-none": levels.count("none"),
        "households": figure_in_chinese(sum(i.households_affected for i in active)),
        "overdue-clocks": Deadline.objects.overdue().count(),
        "units-pending": Notice.objects.filter(
            acknowledged_at__isnull=True, response__state__in=RUNNING_STATES).values(
            "unit").distinct().count(),
        "warnings": 0,
    }


# --- in a browser at 1920×1080 ------------------------------------------------------------

LAYOUT = """(root) => {
  const vw = window.innerWidth, vh = window.innerHeight;
  const wide = [...document.querySelectorAll("body *")].filter(e =>
      e.getBoundingClientRect().width > vw).map(e => e.tagName + "." + e.className);
  return {wide, scrollWidth: document.documentElement.scrollWidth,
          scrollHeight: document.documentElement.scrollHeight, vw, vh};
}"""

# Every element with text of its own in the wall's body: its font size and the contrast of
# its colour with the background it is drawn on (WCAG 2 relative luminance).
TEXT = """(root) => {
  const own = e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = rgb(c).slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const background = e => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
      if (rgb(c).length < 4 || rgb(c)[3] > 0) { return c; } } return "rgb(255, 255, 255)"; };
  return [...root.querySelectorAll("*")].filter(e => own(e) && e.getClientRects().length
      && !e.closest("[hidden], template")).map(e => {
    const style = getComputedStyle(e), a = lum(style.color), b = lum(background(e));
    return {text: e.textContent.trim().slice(0, 30), cls: e.className, size: parseFloat(style.fontSize),
            contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}"""


def check_wall_layout(page, incident_count):
    layout = page.evaluate(LAYOUT)
    assert layout["wide"] == [], layout["wide"]
    assert layout["scrollWidth"] <= layout["vw"] and layout["scrollHeight"] <= layout["vh"], layout
    # Read in one go: the panels may be replaced by a refresh between two reads.
    rows, folded = page.evaluate("""() => [
        [...document.querySelectorAll('.wall-row[data-incident]')].map(row => {
            const box = row.getBoundingClientRect(); return {top: box.top, bottom: box.bottom}; }),
        Number(document.querySelector('[data-folded]')?.dataset.folded || 0)]""")
    for box in rows:
        assert box["top"] >= 0 and box["bottom"] <= WALL["height"], box
    # A row's lines cut what overflows: the clocks and the deliveries must show whole.
    clipped = page.evaluate("""() => [...document.querySelectorAll('.wall-secondary, .wall-notices')]
        .filter(line => line.scrollWidth > line.clientWidth).map(line =>
            [line.scrollWidth - line.clientWidth, line.textContent.replace(/\\s+/g, " ")])""")
    assert clipped == [], clipped
    assert len(rows) + folded == incident_count
    texts = page.locator(".wall-body").evaluate(TEXT)
    assert [t for t in texts if t["size"] < 20] == []
    assert [t for t in texts if t["contrast"] < 4.5] == []
    sizes = page.evaluate("""() => [...document.querySelectorAll('.wall-primary')].map(
        e => parseFloat(getComputedStyle(e).fontSize))""")
    assert sizes and min(sizes) >= 28, sizes


def writing(service, *args, **kwargs):
    """A write in a thread of its own, as a request would make it (Playwright keeps an event
    loop running in this one)."""
    def write():
        try:
            return service(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(write).result()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_wall_holds_twenty_incidents_and_22_overdue_units(browser, redis_url, settings,
                                                             make_user):
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    liaisons_everywhere(make_user)
    first = bad_day(duty, commander, 20)[0]
    recipients = activation_recipients(first)
    assert recipients >= 22
    box = {"BACKEND": "notify.backends.outbox.OutboxBackend",
           "OPTIONS": {"receipt_delay_seconds": 0}}
    settings.NOTIFY_BACKENDS = {"sms": box, "wecom": box, "email": box}
    backend_for.cache_clear()
    use_channel_layer(settings, redis_url)
    with asgi_server(redis_url) as server:
        context, page = logged_in(browser, server, duty)
        try:
            page.set_viewport_size(WALL)
            page.goto(f"{server.url}/command/wall/")
            expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
            expect(page.locator(".since").first).to_contain_text("距首报")
            loads = []
            page.on("load", lambda _page: loads.append(True))
            check_wall_layout(page, 20)
            for key, value in expected_totals().items():
                expect(page.locator(f"[data-total='{key}'] .total-value")).to_have_text(str(value))
            expect(page.locator(".wall-row .overdue-units").first).to_contain_text(
                "22个单位超时未确认")
            counts = page.locator(f".wall-row[data-incident='{first.pk}'] .delivery-counts")
            expect(counts).to_have_text(f"已送达 0/{recipients} · 已确认 0/{recipients}")
            writing(notify_services.hand_over_due)
            writing(notify_services.receipts_polled)
            expect(counts).to_have_text(f"已送达 {recipients}/{recipients} · 已确认 0/{recipients}",
                                        timeout=3000)
            check_wall_layout(page, 20)
            page.screenshot(path="var/wall-zh.png")

            incident = writing(report_incident, duty, households_affected=5000)
            writing(response_services.response_started_directly, actor=commander,
                    incident=incident, level="I", reason="寒潮加剧")
            expect(page.locator("[data-total='level-I'] .total-value")).to_have_text(
                "2", timeout=3000)
            # Not overdue yet: less urgent than the overdue ones, so folded into the count.
            expect(page.locator("[data-folded]")).to_have_attribute("data-folded", "14")
            check_wall_layout(page, 21)
            assert loads == [], "the wall reloaded"

            context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en",
                                  "url": server.url}])
            page.reload()
            expect(page.locator(".wall-row .overdue-units").first).to_contain_text(
                "22 units overdue to acknowledge")
            expect(counts).to_have_text(
                f"Delivered {recipients}/{recipients} · acknowledged 0/{recipients}")
            check_wall_layout(page, 21)
            page.screenshot(path="var/wall-en.png")
        finally:
            context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_command_room_table_fits_its_panel_with_22_overdue_units(browser, live_server,
                                                                    make_user):
    """At 1920×1080 the table fits its panel and its headers read across; at 390 px each
    incident is a block and nothing is wider than the phone."""
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    bad_day(duty, commander, 5)
    for user, path, shot in [(duty, "/command/", "command-room-zh"),
                             (liaison, "/command/unit/", "unit-dashboard-zh")]:
        context, page = logged_in(browser, live_server, user)
        try:
            page.set_viewport_size(WALL)
            page.goto(f"{live_server.url}{path}")
            overdue = page.locator("#room-incidents .overdue-units").first
            expect(overdue).to_contain_text("22个单位超时未确认")
            fits = page.locator("#room-incidents").evaluate(
                "panel => panel.querySelector('table').scrollWidth <= panel.clientWidth")
            assert fits, path
            layout = page.evaluate(LAYOUT)
            assert layout["wide"] == [] and layout["scrollWidth"] <= layout["vw"], layout
            header = page.locator("#room-incidents th").nth(3)  # 事件类型 reads across
            assert header.bounding_box()["width"] > 3 * header.evaluate(
                "e => parseFloat(getComputedStyle(e).fontSize)")
            page.screenshot(path=f"var/{shot}.png", full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})  # a leader's phone
            layout = page.evaluate(LAYOUT)
            assert layout["wide"] == [] and layout["scrollWidth"] <= layout["vw"], layout
        finally:
            context.close()
