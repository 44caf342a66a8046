"""Command-room render: what one panel render costs the server as the active incidents grow.

For each size (--sizes, default 10 100 300) it adds active incidents until that many are
open, each with a response started through the services (Level Ⅰ, Ⅱ and Ⅲ in turn, so the
notices, task groups and checklists are those of the plan), then marks every clock due within
the next hour overdue through the deadline sweep (so some incidents carry ~25 overdue
notices), marks a third of the checklist items done and acknowledges every fourth notice.
Then, as a duty officer (who sees everything), it renders:

- the command room's panels as the socket pushes them after an event (command_room.panels.
  screen_render, no request around it; command_room/panel_push.py), the render the target is
  about: before each render (untimed) a continuation report is filed on the next incident, and
  the render brings the county's board kept from the previous one up to date
  (command_room.selectors.county_board) and renders the template;
- the same with the county's board read whole (LIVE_PANELS_SHARED=0): the first render of a
  process, or after an event that is not one incident's (a directory edit, a warning);
- through Django's test client, `/command/?panels=1`: the board read whole and rendered for a
  browser whose socket is down (the request's own cost added: session, user, permissions);
- `/command/wall/?panels=1`  the wall's panels;
- the floor: a plain `values()` read of the same incidents (number, township, grade,
  households, reported at) rendered by a minimal template, in the same process and run.

and prints per size and page: server time per render (median and p90 over --renders), the
CPU time of this process (median: the time without waiting for a core or for PostgreSQL),
the time spent in queries (median), queries per render, and payload bytes. On a shared
machine the time is the CPU time plus the queries plus the wait for a core: the 1-minute load
average is printed first. Target: the command room's render after an event ≤ 50 ms median at
100 incidents, queries the same at every size.

Not a test (pytest only collects tests/). Needs PostgreSQL; it drops and recreates the
database named by DATABASE_URL (default zezhou_bench_board) at every run. The seeding's
pushes and Celery fast paths are switched off (nothing listens):

    .venv/bin/python bench/board_render.py [--sizes 10 100 300] [--renders 30]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zezhou_bench_board"
TARGET_MS = 50
LEVELS = ["I", "II", "III"]
FLOOR_TEMPLATE = """<table>{% for i in incidents %}<tr data-incident="{{ i.pk }}">
<td>#{{ i.pk }}</td><td>{{ i.grade }}</td><td>{{ i.township__name }}</td>
<td>{{ i.households_affected }}</td><td>{{ i.reported_at|date:"c" }}</td></tr>{% endfor %}</table>"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 300])
    parser.add_argument("--renders", type=int, default=30, help="renders per page and size")
    return parser.parse_args()


def configure_environment():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DEBUG", "0")  # as in production; DEBUG also keeps every query
    # The render itself: not the shared render later requests of the same audience are
    # served from (command_room/panels.py; bench/screens.py measures that).
    os.environ["LIVE_PANELS_SHARED"] = "0"


def recreate_database(url):
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        sys.exit(f"DATABASE_URL must point at PostgreSQL, not {parsed.scheme}://")
    name = parsed.path.lstrip("/")
    with psycopg.connect(host=parsed.hostname, port=parsed.port or 5432,
                         user=parsed.username, password=parsed.password,
                         dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from directory.plan_loader import load_plan

    load_plan()
    from command_room import push
    from incidents import clocks

    push.push = lambda *args, **kwargs: None
    clocks.schedule_fast_path = lambda deadline: None


# --- data -------------------------------------------------------------------------------------


def make_user(position, unit_code):
    from django.contrib.auth import get_user_model

    from directory.models import Person, Position, Unit

    user = get_user_model().objects.create_user(f"bench-{position}", password=None)
    unit = Unit.objects.get(code=unit_code)
    person = Person.objects.create(name=f"压测{position}", unit=unit, user=user,
                                   mobile=f"1390000{len(position):04d}")
    person.holdings.create(position=Position.objects.get(code=position))
    return user


def add_incidents(count, duty, commander):
    """`count` more incidents, each with a response started and its clocks as described."""
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from directory.models import Unit
    from incidents import services
    from incidents.clocks import sweep_deadlines
    from response import services as response_services
    from response.models import ChecklistItem, Notice

    townships = list(Unit.objects.filter(kind="township").order_by("order"))
    start = Notice.objects.count()
    for n in range(count):
        with transaction.atomic():
            now = timezone.now()
            incident = services.incident_reported(
                actor=duty, occurred_at=now - timedelta(minutes=20), reported_at=now,
                township=townships[n % len(townships)], place=f"换热站{n}",
                reporter_name="李明", reporter_phone="13800001111", channel="phone",
                scenario=["pipeline_damage", "boiler_explosion", "utility_outage"][n % 3],
                description="压测", deaths=0, serious_injuries=n % 3,
                direct_loss=Decimal("200000"), households_affected=500 + n,
                area_affected=Decimal("1500"))
            response_services.response_started_directly(
                actor=commander, incident=incident, level=LEVELS[n % 3], reason="压测")
    sweep_deadlines(now=timezone.now() + timedelta(hours=1))  # every clock so far overdue
    new = Notice.objects.filter(pk__gt=start) if start else Notice.objects.all()
    new.filter(pk__in=[pk for pk in new.values_list("pk", flat=True) if pk % 4 == 0]).update(
        acknowledged_at=timezone.now())
    items = ChecklistItem.objects.filter(status="open")
    items.filter(pk__in=[pk for pk in items.values_list("pk", flat=True) if pk % 3 == 0]).update(
        status="done")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have by now: plans for this size


# --- measuring --------------------------------------------------------------------------------


def measure(render, renders, before=lambda: None):
    """(median ms, p90 ms, median CPU ms of this process, median ms in queries, queries,
    bytes) over `renders` calls of render() → bytes, each after an untimed before(). The time
    includes waiting for PostgreSQL (the query time) and for a core; the CPU time neither."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    render()  # warm the template cache and the connection
    times, cpu, in_queries, queries, size = [], [], [], 0, 0
    for _ in range(renders):
        before()
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            size = len(render())
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries = len(captured)
        in_queries.append(sum(float(query["time"]) for query in captured) * 1000)
    times.sort()
    return (statistics.median(times), times[int(0.9 * (len(times) - 1))],
            statistics.median(cpu), statistics.median(in_queries), queries, size)


def page(client, url):
    def render():
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        return answer.content
    return render


def pushed_render(user, kept):
    """The command room's panels as command_room.panel_push renders them after an event; with
    `kept`, from the county's board kept from the previous render (else read whole)."""
    from django.test.utils import override_settings
    from django.utils import translation

    from command_room.panels import screen_render
    from command_room.screens import ROOM, SCREENS

    def render():
        with translation.override("zh-hans"), override_settings(LIVE_PANELS_SHARED=kept):
            return screen_render(SCREENS[ROOM], user, None, None).html.encode()
    return render


def an_event(actor):
    """A continuation report on the next incident in progress: one event."""
    from incidents import services
    from incidents.models import Incident

    counter = iter(range(10**9))

    def write():
        incidents = list(Incident.objects.in_progress().order_by("pk"))
        incident = incidents[next(counter) % len(incidents)]
        services.continuation_report_filed(actor=actor, incident=incident, summary="续报：抢修中",
                                           measures="关阀抢修", figures=incident.figures())
    return write


def floor():
    from django.template import engines

    from incidents.choices import IncidentStatus
    from incidents.models import Incident

    template = engines["django"].from_string(FLOOR_TEMPLATE)

    def render():
        incidents = Incident.objects.exclude(status=IncidentStatus.CLOSED).values(
            "pk", "grade", "township__name", "households_affected", "reported_at")
        return template.render({"incidents": list(incidents)}).encode()
    return render


def main():
    args = parse_args()
    configure_environment()
    recreate_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.conf import settings
    from django.test import Client

    from directory.choices import PositionCode
    from incidents.models import Incident

    settings.ALLOWED_HOSTS = ["*"]
    duty = make_user(PositionCode.DUTY_OFFICER, "hq_office")
    commander = make_user(PositionCode.COMMANDER, "hq")
    client = Client()
    client.force_login(duty)
    target = "command room after an event (pushed)"
    pages = [(target, pushed_render(duty, kept=True), an_event(duty)),
             ("command room, board read whole (pushed)", pushed_render(duty, kept=False), None),
             ("command room panels (fetched)", page(client, "/command/?panels=1"), None),
             ("wall panels (fetched)", page(client, "/command/wall/?panels=1"), None),
             ("floor: values() + minimal template", floor(), None)]
    print("== command-room render benchmark ==")
    print(f"machine:  {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"load:     {os.getloadavg()[0]:.1f} (1-min load average at the start)")
    print(f"settings: {settings.SETTINGS_MODULE} (DEBUG={settings.DEBUG}), "
          f"database {settings.DATABASES['default']['NAME']}; {args.renders} renders each")
    print(f"{'incidents':>9}  {'page':<36} {'median ms':>9} {'p90 ms':>7} {'CPU ms':>7} "
          f"{'SQL ms':>7} {'queries':>7} {'bytes':>8}")
    verdict = True
    queries_seen = {}
    for size in sorted(args.sizes):
        started = time.perf_counter()
        add_incidents(size - Incident.objects.count(), duty, commander)
        seeded = time.perf_counter() - started
        for name, render, before in pages:
            median, p90, cpu, sql, queries, size_bytes = measure(render, args.renders,
                                                                 before or (lambda: None))
            print(f"{size:>9}  {name:<36} {median:>9.1f} {p90:>7.1f} {cpu:>7.1f} {sql:>7.1f} "
                  f"{queries:>7} {size_bytes:>8}")
            queries_seen.setdefault(name, set()).add(queries)
            if name == target and size == 100 and median > TARGET_MS:
                verdict = False
        print(f"{'':>9}  (seeded in {seeded:.0f} s)")
    constant = all(len(counts) == 1 for name, counts in queries_seen.items())
    print(f"target: command room render after an event <= {TARGET_MS} ms median at 100 incidents, "
          f"queries constant → {'PASS' if verdict and constant else 'FAIL'}")
    return 0 if verdict and constant else 1


if __name__ == "__main__":
    sys.exit(main())
