"""API lists against their floor: requests per second and server CPU per request, side by side.

It seeds --incidents incidents through the services, as the pages would write them (first
report; for most a written report, continuation reports, an upper-level inquiry; a Level Ⅲ
response for every other one, with its notices and checklist, some notices acknowledged;
then one sweep marks what fell overdue), and --warnings early warnings (drafts, submitted,
issued), and runs ANALYZE (the statistics autovacuum would have gathered by then). Then one
Uvicorn process serves the project, on loopback, with a URLconf of this module's own that adds
one floor view per list: after the same permission checks, a plain `values()` of the same rows
(a county reader's: all of them), in the same order, with the same page count, as JSON through
Django's JsonResponse, no DRF, the same middleware and session. Its columns are the model's own
columns the list shows, the related codes, and aggregates in the same query standing for what
the list gathers from other tables: incidents the next running clock (Min) and the overdue
clocks (Count), responses the notices not acknowledged (Count; not the task groups and
checklist counts the list also gives), warnings the townships' codes (ArrayAgg). One client in
this process sends keep-alive requests, one at a time, alternating blocks of --block requests
to the floor and to the endpoint for --seconds per list and side, and reads Uvicorn's CPU time
(user + system, /proc/<pid>/stat) around each block.

Printed per list: requests/s, server CPU per request (ms), body size, queries per request
(counted in this process through Django's test client, at the page size and at a fifth of it)
and ratio = endpoint / floor (requests per second; CPU per request the other way round, floor /
endpoint). Target: every requests-per-second ratio >= 0.6 with the same query count at both
sizes.

Why Uvicorn rather than Django's test client: it is what production runs (ASGI, the sync view
on its thread), and the figures compare with the issue's; the floor pays the same server, the
same middleware and the same session lookup, so the ratio is the cost of the view itself.

Not a test (pytest only collects tests/). Needs PostgreSQL; it drops and recreates the
database of DATABASE_URL (default zezhou_bench_api) at every run. Nothing is pushed to a
shared Redis: the live push uses a channel prefix of its own and Celery a queue of its own.

    .venv/bin/python bench/api_lists.py [--incidents 200] [--warnings 40] [--limit 50]
                                        [--seconds 10] [--block 10]
                                        [--lists incidents responses warnings] [--reuse]

--reuse measures the database the previous run left, without seeding it again.
"""

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zezhou_bench_api"
TARGET_RATIO = 0.6
WARMUP_REQUESTS = 5


LISTS = [("incidents", "/api/incidents/", "/bench-floor/incidents/"),
         ("responses", "/api/responses/", "/bench-floor/responses/"),
         ("warnings", "/api/warnings/", "/bench-floor/warnings/")]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200, help="incidents (default 200)")
    parser.add_argument("--warnings", type=int, default=40, help="warnings (default 40)")
    parser.add_argument("--limit", type=int, default=50, help="page size (default 50)")
    parser.add_argument("--seconds", type=float, default=10,
                        help="seconds of requests per list, floor and endpoint (default 10)")
    parser.add_argument("--block", type=int, default=10,
                        help="requests per block before switching side (default 10)")
    parser.add_argument("--lists", nargs="+", choices=[name for name, _, _ in LISTS],
                        default=[name for name, _, _ in LISTS], help="which lists (default all)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database of the previous run as it is (no seeding)")
    return parser.parse_args()


# --- the floor views, served by Uvicorn through this module's URLconf ------------------------

INCIDENT_COLUMNS = [
    "id", "occurred_at", "reported_at", "place", "reporter_name", "reporter_phone", "channel",
    "scenario", "description", "deaths", "serious_injuries", "direct_loss",
    "households_affected", "area_affected", "heat_sources", "heating_stopped_at",
    "expected_restore_at", "beyond_township_capacity", "is_drill", "grade", "grade_criterion",
    "status", "reporting_closed"]
RESPONSE_COLUMNS = [
    "id", "incident", "level", "state", "suggested_level", "reason", "proposed_by",
    "proposed_at", "start_mode", "started_by", "started_at", "decided_note", "rejected_by",
    "rejected_at", "site_hq_leader", "site_hq_place", "site_hq_at", "handed_over_to",
    "handed_over_at", "conditions", "ended_by", "ended_at"]
WARNING_COLUMNS = [
    "id", "incident", "category", "level", "places", "starts_at", "ends_at", "impact",
    "watch_for", "measures", "issuing_body", "source", "is_drill", "channels", "state",
    "version", "drafted_by", "approved_by", "issued_at", "reported_to", "reported_at",
    "lifted_by", "lifted_at", "lift_reason"]


def _page(request, rows):
    """A page as the API's pagination gives it: the count, then `limit` rows from `offset`."""
    from django.http import JsonResponse

    limit = int(request.GET.get("limit", 50))
    offset = int(request.GET.get("offset", 0))
    return JsonResponse({"count": rows.count(), "results": list(rows[offset:offset + limit])})


def _visible_incidents(user):
    """The bench's reader sees the whole county, as the duty office does; the floor checks
    the permissions the endpoint checks (the first check loads them: three queries)."""
    from incidents.models import Incident
    from zezhou_heat.permissions import VIEW_ALL_INCIDENTS, VIEW_INCIDENTS

    assert user.has_perm(VIEW_INCIDENTS) and user.has_perm(VIEW_ALL_INCIDENTS)
    return Incident.objects.all()


def incidents_floor(request):
    """Each row's columns, its township's and reporting unit's codes, and the clock
    aggregates a list row shows (the next open clock, the overdue ones, the reports)."""
    from django.db.models import Count, F, Min, Q

    open_clock = Q(deadlines__met_at=None, deadlines__overdue_at=None,
                   deadlines__cancelled_at=None, deadlines__failed_at=None)
    overdue = Q(deadlines__met_at=None, deadlines__overdue_at__isnull=False,
                deadlines__cancelled_at=None)
    rows = _visible_incidents(request.user).order_by("-reported_at", "-pk").values(
        *INCIDENT_COLUMNS, township_code=F("township__code"),
        reporter_unit_code=F("reporter_unit__code"),
        next_due_at=Min("deadlines__due_at", filter=open_clock),
        overdue_clocks=Count("deadlines", filter=overdue))
    return _page(request, rows)


def responses_floor(request):
    from django.db.models import Count, Q

    from response.models import Response

    rows = Response.objects.filter(incident__in=_visible_incidents(request.user)).order_by(
        "-pk").values(*RESPONSE_COLUMNS, notices_pending=Count(
            "notices", filter=Q(notices__acknowledged_at=None)))
    return _page(request, rows)


def warnings_floor(request):
    """Every warning (a county reader's view), its townships' codes aggregated."""
    from django.contrib.postgres.aggregates import ArrayAgg

    from early_warnings.models import EarlyWarning
    from zezhou_heat.permissions import VIEW_ALL_INCIDENTS, VIEW_WARNINGS

    assert request.user.has_perm(VIEW_WARNINGS) and request.user.has_perm(VIEW_ALL_INCIDENTS)
    rows = EarlyWarning.objects.order_by("-pk").values(
        *WARNING_COLUMNS, township_codes=ArrayAgg("townships__code", default=[]))
    return _page(request, rows)


def _urlpatterns():
    from django.urls import include, path

    return [path("bench-floor/incidents/", incidents_floor),
            path("bench-floor/responses/", responses_floor),
            path("bench-floor/warnings/", warnings_floor),
            path("", include("zezhou_heat.urls"))]


def asgi_application():
    """Uvicorn's factory (--factory bench_api_lists:asgi_application): the project's ASGI
    application, its URLconf this module's."""
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    settings.ROOT_URLCONF = __name__
    from zezhou_heat.asgi import application

    return application


def __getattr__(name):
    if name == "urlpatterns":  # read by Django's URL resolver in the server process only
        return _urlpatterns()
    raise AttributeError(name)


# --- environment and database ---------------------------------------------------------------


def configure_environment():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("DEBUG", "0")
    run = uuid.uuid4().hex[:8]
    os.environ["LIVE_CHANNEL_PREFIX"] = f"bench-api-{run}"  # no frame reaches a real screen
    os.environ["CELERY_QUEUE"] = f"bench-api-{run}"
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def recreate_database(url):
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        sys.exit(f"DATABASE_URL must point at PostgreSQL, not {parsed.scheme}://")
    with psycopg.connect(host=parsed.hostname, port=parsed.port or 5432,
                         user=parsed.username, password=parsed.password,
                         dbname="postgres", autocommit=True) as conn:
        name = sql.Identifier(parsed.path.lstrip("/"))
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def setup_django():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from directory.plan_loader import load_plan

    load_plan()


# --- data -------------------------------------------------------------------------------------


def make_user(position, unit_code, n):
    from django.contrib.auth import get_user_model

    from directory.models import Person, Position, Unit

    user = get_user_model().objects.create_user(f"bench-{position}-{n}", password=None)
    unit = Unit.objects.get(code=unit_code)
    person = Person.objects.create(name=f"压测{n}", unit=unit, user=user,
                                   mobile=f"1380000{n:04d}")
    person.holdings.create(position=Position.objects.get(code=position),
                           unit=unit if position == "unit_liaison" else None)
    return user


def seed(incident_count, warning_count):
    from django.utils import timezone

    from directory.models import Unit
    from incidents import clocks, services, written_report
    from response import services as response_services
    from response.models import Notice

    random.seed(13)
    duty = make_user("duty_officer", "hq_office", 1)
    commander = make_user("commander", "hq", 2)
    townships = list(Unit.objects.townships())
    now = timezone.now()
    for i in range(incident_count):
        reported = now - timedelta(minutes=random.uniform(5, 24 * 60))
        figures = dict(deaths=0, serious_injuries=random.choice([0, 0, 1, 2]),
                       direct_loss=Decimal(random.randrange(10_000, 900_000)),
                       households_affected=random.randrange(50, 5000),
                       area_affected=Decimal(random.randrange(1000, 300_000)))
        incident = services.incident_reported(
            actor=duty, occurred_at=reported - timedelta(minutes=20), reported_at=reported,
            township=townships[i % len(townships)], place=f"换热站{i}", reporter_name="李明",
            reporter_phone="13800001111", channel="phone", scenario="pipeline_damage",
            description="主管道爆裂，部分小区停暖", **figures)
        if i % 4 != 3:
            services.written_report_saved(
                actor=duty, incident=incident, figures=figures,
                contents={**{key: f"{key} 内容" for key in written_report.KEYS},
                          "site_leader_phone": "13900002222", "reporter_phone": "13800001111"})
        for number in range(i % 3):
            services.continuation_report_filed(
                actor=duty, incident=incident, summary=f"抢修进行中（{number + 1}）",
                measures="临时管道已接通", figures=figures)
        if i % 5 == 0:
            services.inquiry_recorded(actor=duty, incident=incident, asked_by="市住建局",
                                      asked_at=max(reported, now - timedelta(minutes=45)),
                                      question="伤亡情况？")
        if i % 2 == 0:
            response = response_services.response_started_directly(
                actor=commander, incident=incident, level="III", reason="抢修")
            for notice in Notice.objects.filter(response=response).select_related("unit")[:3]:
                liaison = make_user("unit_liaison", notice.unit.code, 1000 + notice.pk)
                response_services.notice_acknowledged(actor=liaison, notice=notice)
    seed_warnings(duty, commander, townships, warning_count)
    clocks.sweep_deadlines()
    return duty


def seed_warnings(duty, commander, townships, count):
    from django.utils import timezone

    from early_warnings import services

    now = timezone.now()
    for i in range(count):
        warning = services.warning_draft_saved(
            actor=duty, townships=townships[i % len(townships):][:3], category="cold_wave",
            level="general", places="东街一带", starts_at=now, ends_at=now + timedelta(hours=12),
            impact="寒潮影响供热", watch_for="室内温度下降", measures="关好门窗",
            issuing_body="泽州县供热突发事件应急救援指挥部办公室", source="own_inspection")
        if i % 3:
            warning = services.warning_submitted(actor=duty, warning=warning)
        if i % 3 == 2:
            services.warning_approved(actor=commander, warning=warning)


# --- measuring --------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_ticks():
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def start_uvicorn(port):
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), "--factory",
         f"{Path(__file__).stem}:asgi_application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=os.environ.copy())
    give_up = time.monotonic() + 60
    while time.monotonic() < give_up:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                sys.exit("Uvicorn exited before it listened")
            time.sleep(0.2)
    server.kill()
    sys.exit("Uvicorn did not listen within 60 s")


class Side:
    """One URL's requests: count, wall time, server CPU, last body."""

    def __init__(self, url):
        self.url, self.requests, self.wall, self.cpu, self.body = url, 0, 0.0, 0.0, b""

    def run_block(self, conn, headers, pid, count):
        cpu_before, started = process_cpu_seconds(pid), time.perf_counter()
        for _ in range(count):
            conn.request("GET", self.url, headers=headers)
            answer = conn.getresponse()
            self.body = answer.read()
            if answer.status != 200:
                sys.exit(f"{self.url} answered {answer.status}: {self.body[:300]!r}")
        self.wall += time.perf_counter() - started
        self.cpu += process_cpu_seconds(pid) - cpu_before
        self.requests += count

    @property
    def per_second(self):
        return self.requests / self.wall

    @property
    def cpu_ms(self):
        return 1000 * self.cpu / self.requests


def measure(port, pid, cookie, endpoint, floor, seconds, block):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Cookie": cookie, "Accept": "application/json"}
    sides = Side(endpoint), Side(floor)
    for side in sides:
        side.run_block(conn, headers, pid, WARMUP_REQUESTS)
        side.requests = side.wall = side.cpu = 0
    while sum(side.wall for side in sides) < 2 * seconds:
        for side in sides:
            side.run_block(conn, headers, pid, block)
    conn.close()
    return sides


def queries_per_request(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # the first request of a session also loads its permissions
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return len(queries)


def main():
    args = parse_args()
    configure_environment()
    sys.path.insert(0, str(ROOT))
    if not args.reuse:
        recreate_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    started = time.monotonic()
    duty = (get_user_model().objects.get(username="bench-duty_officer-1") if args.reuse
            else seed(args.incidents, args.warnings))
    seeded = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the statistics autovacuum would have gathered by then
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(duty)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    small = max(1, args.limit // 5)
    queries = {name: (queries_per_request(client, f"{url}?limit={small}"),
                      queries_per_request(client, f"{url}?limit={args.limit}"))
               for name, url, _ in LISTS if name in args.lists}

    port = free_port()
    server = start_uvicorn(port)
    busy_before = machine_busy_ticks()
    try:
        results = {name: measure(port, server.pid, cookie, f"{url}?limit={args.limit}",
                                 f"{floor}?limit={args.limit}", args.seconds, args.block)
                   for name, url, floor in LISTS if name in args.lists}
    finally:
        server.terminate()
        server.wait(timeout=10)
    busy_after = machine_busy_ticks()
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    return report(args, seeded, queries, results, busy)


def report(args, seeded, queries, results, busy):
    import django

    from incidents.models import Deadline, Incident, Report
    from response.models import Response

    print(f"""
== API lists benchmark ==
machine:  {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, Django {django.get_version()}, \
load average {os.getloadavg()[0]:.2f} at the end; all CPUs {busy:.0%} busy while measuring
data:     {Incident.objects.count()} incidents, {Report.objects.count()} reports, \
{Deadline.objects.count()} deadlines ({Deadline.objects.overdue().count()} overdue), \
{Response.objects.count()} responses; seeded in {seeded:.0f} s
run:      one Uvicorn process on loopback, one client, keep-alive, blocks of {args.block}, \
{args.seconds:g} s per side, limit={args.limit}
""")
    header = (f"{'list':<10} {'endpoint req/s':>14} {'floor req/s':>11} {'ratio':>6}   "
              f"{'CPU ms/req endpoint':>19} {'floor':>6} {'ratio':>6}   "
              f"{'KB endpoint':>11} {'floor':>6}   queries at {max(1, args.limit // 5)}/{args.limit}")
    print(header)
    passed = True
    for name, (endpoint, floor) in results.items():
        ratio = endpoint.per_second / floor.per_second
        small, full = queries[name]
        passed &= ratio >= TARGET_RATIO and small == full
        print(f"{name:<10} {endpoint.per_second:>14.1f} {floor.per_second:>11.1f} {ratio:>6.2f}   "
              f"{endpoint.cpu_ms:>19.1f} {floor.cpu_ms:>6.1f} {floor.cpu_ms / endpoint.cpu_ms:>6.2f}   "
              f"{len(endpoint.body) / 1024:>11.0f} {len(floor.body) / 1024:>6.0f}   "
              f"{small}/{full}")
        assert json.loads(endpoint.body)["count"] == json.loads(floor.body)["count"], name
    print(f"\ntarget: every ratio >= {TARGET_RATIO}, the same queries at both page sizes → "
          f"{'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
