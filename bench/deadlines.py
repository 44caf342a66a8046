"""Deadline clocks under load: how late, and how exactly once, a burst of deadlines is marked.

It creates one incident with --count inquiries, each with an inquiry-reply deadline; their
due times are spread at random over --window seconds starting --lead seconds from now, and
their reminder times are already past (due - 10 min). Then it starts --workers real Celery
workers (--pool solo) and one beat (sweep every second, as configured), waits until every
deadline is marked overdue (or last due + 30 s), stops them, and prints:

- marked overdue / missed, and duplicates (deadlines with more than one "deadline.overdue"
  event); the same for reminders;
- lateness = overdue_at - due_at (p50, p99, max; negative would mean marked before due), and
  the same measured to the overdue event's commit-side time (Event.occurred_at);
- the target: p99 <= 2000 ms, missed 0, duplicates 0.

With --fast-path each deadline is also given the service's fast path, check_deadline with
eta=due_at, so the workers race the sweep.

Not a test (pytest only collects tests/). Needs PostgreSQL and Redis; it drops and recreates
the database named by DATABASE_URL (default zezhou_bench) at every run:

    .venv/bin/python bench/deadlines.py [--count 1000] [--window 60] [--lead 20]
                                        [--workers 1] [--fast-path]
"""

import argparse
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CELERY = [sys.executable, "-m", "celery", "-A", "zezhou_heat"]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zezhou_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
GRACE_SECONDS = 30  # after the last due time, give up waiting
SETTLE_SECONDS = 3  # after all are marked, let late duplicates (fast path, sweeps) show up
TARGET_P99_MS = 2000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="deadlines (default 1000)")
    parser.add_argument("--window", type=float, default=60,
                        help="seconds over which due times are spread (default 60)")
    parser.add_argument("--lead", type=float, default=20,
                        help="seconds from now to the start of the window (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers (default 1)")
    parser.add_argument("--fast-path", action="store_true",
                        help="also schedule check_deadline with eta=due_at for each deadline")
    return parser.parse_args()


# --- environment and database ---------------------------------------------------------------


def configure_environment():
    """Environment for this process and the Celery children; set before django.setup()."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DEBUG", "0")  # as in production; DEBUG also keeps every query
    os.environ["CELERY_QUEUE"] = f"bench-{uuid.uuid4().hex[:8]}"
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def recreate_database(url):
    """Drop and create the database of `url`, connecting to the `postgres` database."""
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
    from zezhou_heat.celery import app

    app.conf.task_default_queue = os.environ["CELERY_QUEUE"]


# --- data -------------------------------------------------------------------------------------


def make_incident(user):
    from django.utils import timezone

    from directory.models import Unit
    from incidents.grading import grade_incident
    from incidents.models import Incident

    now = timezone.now()
    grading = grade_incident(deaths=0, serious_injuries=0, direct_loss=0)
    incident = Incident(
        occurred_at=now - timedelta(minutes=20), reported_at=now,
        township=Unit.objects.filter(kind="township").order_by("order").first(),
        place="bench", reporter_name="bench", reporter_phone="13800001111", channel="phone",
        scenario="pipeline_damage", description="deadline benchmark",
        grade=grading.grade, grade_criterion=grading.criterion, created_by=user)
    incident.full_clean(exclude=["status"])  # protected FSM field
    incident.save()
    return incident


def make_deadlines(count, window, lead):
    """One incident, `count` inquiries and their reply deadlines; returns the deadlines."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from incidents.choices import DeadlineKind
    from incidents.models import Deadline, Inquiry

    user = get_user_model().objects.create_user("bench", password=None)
    incident = make_incident(user)
    now = timezone.now()
    inquiries = Inquiry.objects.bulk_create([
        Inquiry(incident=incident, asked_by="bench", asked_at=now, question=f"q{i}",
                recorded_by=user) for i in range(count)])
    reminder = timedelta(minutes=settings.DEADLINE_REMINDER_MINUTES)
    deadlines = []
    for inquiry in inquiries:
        due_at = now + timedelta(seconds=lead + random.uniform(0, window))
        deadlines.append(Deadline(
            kind=DeadlineKind.INQUIRY_REPLY, incident=incident, inquiry=inquiry,
            starts_at=due_at - timedelta(minutes=settings.DEADLINE_MINUTES["inquiry_reply"]),
            due_at=due_at, remind_at=due_at - reminder))
    return Deadline.objects.bulk_create(deadlines)


class FloorTimer(threading.Thread):
    """The floor, measured in the same run: a bare thread of this process that sleeps until
    each due time and then makes one round trip to PostgreSQL (`SELECT now()`), on its own
    connection. What it is late by is what this machine, under this run's load, costs any
    clock before it has done anything; the workers' lateness is read beside it."""

    def __init__(self, due_times):
        super().__init__(name="floor-timer", daemon=True)
        self.due_times = sorted(due_times)
        self.lateness = []

    def run(self):
        import psycopg
        from django.db import connection
        from django.utils import timezone

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as conn:
            for due in self.due_times:
                time.sleep(max(0.0, (due - timezone.now()).total_seconds()))
                conn.execute("SELECT now()")
                self.lateness.append((timezone.now() - due).total_seconds() * 1000)


def schedule_fast_path(deadlines):
    from incidents.tasks import check_deadline

    for deadline in deadlines:
        check_deadline.apply_async(args=[deadline.pk], eta=deadline.due_at)


# --- Celery processes -------------------------------------------------------------------------


class CeleryProcess:
    """A worker or beat in its own process group; its last output lines are kept."""

    def __init__(self, args):
        self.process = subprocess.Popen(
            CELERY + args, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.lines = deque(maxlen=200)
        self.seen = set()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)
            for text in ("ready.", "beat: Starting"):
                if text in line:
                    self.seen.add(text)

    def wait_for(self, text, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.process.poll() is None:
            if text in self.seen:
                return
            time.sleep(0.1)
        raise RuntimeError(f"no {text!r} from {self.process.args[len(CELERY)]}:\n{''.join(self.lines)}")

    def stop(self):
        """SIGTERM the process group; SIGKILL it if still alive after 10 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start_celery(workers, folder):
    processes = [CeleryProcess(["worker", "--pool", "solo", "--loglevel", "INFO",
                                "--without-gossip", "--without-mingle", "-n", f"bench{i}@%h"])
                 for i in range(workers)]
    processes.append(CeleryProcess(["beat", "--loglevel", "INFO", "--max-interval", "1",
                                    "--schedule", str(Path(folder) / "beat-schedule")]))
    try:
        for process in processes[:-1]:
            process.wait_for("ready.")
        processes[-1].wait_for("beat: Starting")
    except Exception:
        stop_all(processes)
        raise
    return processes


def stop_all(processes):
    for process in processes:
        process.stop()


def wait_for_marks(give_up_at):
    """Until every deadline is marked overdue, or `give_up_at`; then let duplicates show."""
    from django.utils import timezone

    from incidents.models import Deadline

    while timezone.now() < give_up_at:
        if not Deadline.objects.filter(overdue_at__isnull=True).exists():
            time.sleep(SETTLE_SECONDS)
            return
        time.sleep(0.2)


# --- figures ----------------------------------------------------------------------------------


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


def events_per_deadline(kind):
    """{deadline pk as str: number of `kind` events about it}."""
    from django.db.models import Count

    from timeline.models import Event

    rows = (Event.objects.filter(kind=kind, subject_type="incidents.deadline")
            .values("subject_id").annotate(n=Count("seq")))
    return {row["subject_id"]: row["n"] for row in rows}


def first_event_times(kind):
    from django.db.models import Min

    from timeline.models import Event

    rows = (Event.objects.filter(kind=kind, subject_type="incidents.deadline")
            .values("subject_id").annotate(first=Min("occurred_at")))
    return {row["subject_id"]: row["first"] for row in rows}


def lateness_ms(pairs):
    return sorted((late - due).total_seconds() * 1000 for due, late in pairs if late)


def collect_figures():
    from incidents.models import Deadline

    rows = list(Deadline.objects.values_list("pk", "due_at", "overdue_at", "reminded_at"))
    overdue_events = events_per_deadline("deadline.overdue")
    reminder_events = events_per_deadline("deadline.reminder")
    event_times = first_event_times("deadline.overdue")
    return {
        "count": len(rows),
        "marked": sum(1 for _, _, overdue, _ in rows if overdue),
        "reminded": sum(1 for *_, reminded in rows if reminded),
        "overdue_events": sum(overdue_events.values()),
        "duplicates": sum(1 for n in overdue_events.values() if n > 1),
        "reminder_events": sum(reminder_events.values()),
        "reminder_duplicates": sum(1 for n in reminder_events.values() if n > 1),
        "lateness": lateness_ms((due, overdue) for _, due, overdue, _ in rows),
        "event_lateness": lateness_ms((due, event_times.get(str(pk))) for pk, due, _, _ in rows),
    }


def describe(values):
    if not values:
        return "n/a"
    return (f"p50 {percentile(values, 50):.0f}, p99 {percentile(values, 99):.0f}, "
            f"max {values[-1]:.0f}, negative {sum(1 for v in values if v < 0)}")


def report(args, figures, startup_seconds, elapsed_seconds):
    from django.conf import settings

    missed = figures["count"] - figures["marked"]
    p99 = percentile(figures["lateness"], 99)
    negative = sum(1 for v in figures["lateness"] if v < 0)
    passed = (p99 is not None and p99 <= TARGET_P99_MS and missed == 0
              and figures["duplicates"] == 0 and negative == 0)
    database = settings.DATABASES["default"]
    print(f"""
== deadlines benchmark ==
machine:     {os.cpu_count()} CPUs, Python {sys.version.split()[0]}
settings:    {os.environ["DJANGO_SETTINGS_MODULE"]} (DEBUG={settings.DEBUG}), \
database {database["NAME"]}@{database["HOST"]}, broker {settings.CELERY_BROKER_URL}, \
queue {settings.CELERY_TASK_DEFAULT_QUEUE}
run:         count {args.count}, window {args.window:g} s, lead {args.lead:g} s, \
workers {args.workers} (solo pool, each with its clock thread) + 1 beat (sweep every 1 s), \
fast path {"on" if args.fast_path else "off"}
timing:      celery ready {startup_seconds:.1f} s after the deadlines were created; \
{elapsed_seconds:.1f} s in all
count:               {figures["count"]}
marked overdue:      {figures["marked"]}
missed (not marked): {missed}
overdue events:      {figures["overdue_events"]}
duplicates:          {figures["duplicates"]} (deadlines with more than one deadline.overdue event)
reminders marked:    {figures["reminded"]}
reminder events:     {figures["reminder_events"]}
reminder duplicates: {figures["reminder_duplicates"]}
lateness overdue_at - due_at (ms):  {describe(figures["lateness"])}
lateness event time - due_at (ms):  {describe(figures["event_lateness"])}
floor, bare timer + one query (ms): {describe(figures["floor"])}
target: p99 <= {TARGET_P99_MS} ms, missed 0, duplicates 0 → {"PASS" if passed else "FAIL"}""")
    return passed


# --- main -------------------------------------------------------------------------------------


def main():
    args = parse_args()
    configure_environment()
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ would be the only project path
    recreate_database(os.environ["DATABASE_URL"])
    setup_django()
    started = time.monotonic()
    deadlines = make_deadlines(args.count, args.window, args.lead)
    if args.fast_path:
        schedule_fast_path(deadlines)
    last_due = max(d.due_at for d in deadlines)
    floor = FloorTimer([d.due_at for d in deadlines])
    floor.start()
    with tempfile.TemporaryDirectory(prefix="bench-beat-") as folder:
        processes = start_celery(args.workers, folder)
        startup = time.monotonic() - started
        try:
            wait_for_marks(last_due + timedelta(seconds=GRACE_SECONDS))
        finally:
            stop_all(processes)
        if startup > args.lead:
            print(f"warning: Celery was ready only after the first deadline fell due "
                  f"({startup:.1f} s > lead {args.lead:g} s)")
    floor.join(timeout=GRACE_SECONDS)
    figures = collect_figures()
    figures["floor"] = sorted(floor.lateness)
    passed = report(args, figures, startup, time.monotonic() - started)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
