"""Screen convergence: how soon after an event every open live screen shows it, and what
that costs the server per event as the screens grow.

It seeds --incidents active incidents as bench/board_render.py does (responses at Level Ⅰ,
Ⅱ, Ⅲ in turn, clocks overdue, some notices acknowledged), starts one Uvicorn serving the
project (as bench/live_push.py does, with a private Redis), and opens N screens (--screens,
default 50 100 200), each a session of its own, taking in turn these pages and audiences:

- the wall (/command/wall/) and the command room (/command/) of the county office,
- the command room of a township officer, in one of five townships,
- the unit dashboard (/command/unit/) of a member-unit liaison, of one of five units.

Each screen behaves as static/js/live.js does: it holds the socket /ws/timeline/ (asking
for its panels to be pushed: `?panels=<screen>&lang=zh-hans`) and keeps the last sequence
number it was sent. Panels pushed on the socket (command_room/panel_push.py) are taken as
they come; after a frame that concerns it (not a "skip"), a screen whose panels did not come
within PANEL_PUSH_GRACE fetches them (`?panels=1&seq=N`) on a keep-alive connection, as it
does PANEL_DELAY after the frame when the server does not push ("fetched" and "per-screen"
modes); one fetch at a time, events arriving meanwhile asking for one more as soon as it is
answered. A writer in this process files a continuation report
(one event) on the incidents in turn, --rate per second for --duration seconds, each timed
at its commit. For every event, the time from its commit until every screen it concerns
holds panels at least as new (their data-panels-seq ≥ its seq) gives the convergence
p50/p99/max; an event some screen still lacks --drain seconds after the last write counts as
not converged (and its time as infinite). The server's CPU time (user + system, from
/proc/<pid>/stat) from the first write to the end is divided by the events written.

Every N runs in each --modes, in the same run: "pushed" (rendered once per event and kind of
screen and sent on the sockets), "fetched" (LIVE_PANELS_PUSH=0: every screen fetches, served
one render per event and audience from command_room/panels.py) and "per-screen"
(LIVE_PANELS_PUSH=0 LIVE_PANELS_SHARED=0: every fetch renders, the first design). --runs
repeats the whole. The exit status is 0 when the pushed runs' p99 at the largest N is ≤ 1 s
in every run, with every event converged.

Not a test (pytest only collects tests/). Needs PostgreSQL and a redis-server binary. It
drops and recreates --database (default zezhou_bench_screens, on the server of DATABASE_URL):

    .venv/bin/python bench/screens.py [--screens 50 100 200] [--incidents 100] [--rate 2]
                                      [--duration 20] [--runs 3] [--modes pushed fetched per-screen]
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import uvloop
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from board_render import add_incidents  # noqa: E402 - the bench folder is put on the path
from board_render import make_user as make_writer  # noqa: E402
from live_push import (  # noqa: E402
    PrivateRedis,
    Uvicorn,
    configure_environment,
    cpu_seconds,
    file_continuation_report,
    paced,
    raise_open_files_limit,
    recreate_database,
    setup_django,
)

PANEL_DELAY = 0.25  # s, as live.js
PANEL_PUSH_GRACE = 3.0  # s, as live.js
OPENING_AT_ONCE = 25
CONNECT_TIMEOUT = 180
SETTLE_SECONDS = 2
FETCH_TIMEOUT = 30  # s: a fetch that hangs counts as failed, and the screen fetches again
TARGET_SECONDS = 1.0
AUDIENCES = 5  # townships and member units taking part
PANELS_SEQ = re.compile(rb'data-panels-seq="(\d+)"')
PANELS_TAG = re.compile(rb'data-panels-render="([^"]*)"')
LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)
MODES = {"pushed": {"LIVE_PANELS_PUSH": "1", "LIVE_PANELS_SHARED": "1"},
         "fetched": {"LIVE_PANELS_PUSH": "0", "LIVE_PANELS_SHARED": "1"},
         "per-screen": {"LIVE_PANELS_PUSH": "0", "LIVE_PANELS_SHARED": "0"}}
SCREEN_OF_PAGE = {"/command/wall/": "wall", "/command/": "room", "/command/unit/": "unit"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--incidents", type=int, default=100)
    parser.add_argument("--rate", type=float, default=2, help="events per second")
    parser.add_argument("--duration", type=float, default=20, help="seconds of writing")
    parser.add_argument("--drain", type=float, default=10,
                        help="seconds after the last write for screens to catch up")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=["pushed", "fetched"])
    parser.add_argument("--database", default="zezhou_bench_screens")
    return parser.parse_args()


# --- data -------------------------------------------------------------------------------------


def screen_user(position, unit, n):
    from django.contrib.auth import get_user_model

    from directory.choices import PositionCode
    from directory.models import Person, Position

    user = get_user_model().objects.create_user(f"screen-{position}-{n}", password=None)
    person = Person.objects.create(name=f"屏幕{n}", unit=unit, user=user,
                                   mobile=f"1370000{n:04d}")
    scoped = position in (PositionCode.TOWNSHIP_OFFICER, PositionCode.UNIT_LIAISON)
    person.holdings.create(position=Position.objects.get(code=position),
                           unit=unit if scoped else None)
    return user


def profiles():
    """(user, page) of each kind of screen, in the order screens take them."""
    from directory.choices import PositionCode
    from directory.models import Unit

    office = Unit.objects.get(code="hq_office")
    townships = Unit.objects.filter(kind="township").order_by("order")[:AUDIENCES]
    members = Unit.objects.filter(kind="member").order_by("order")[:AUDIENCES]
    duty = screen_user(PositionCode.DUTY_OFFICER, office, 1)
    director = screen_user(PositionCode.OFFICE_DIRECTOR, office, 2)
    chosen = [(duty, "/command/wall/"), (duty, "/command/"), (director, "/command/")]
    for n, (township, member) in enumerate(zip(townships, members, strict=True)):
        chosen.append((screen_user(PositionCode.TOWNSHIP_OFFICER, township, 10 + n),
                       "/command/"))
        chosen.append((screen_user(PositionCode.UNIT_LIAISON, member, 20 + n),
                       "/command/unit/"))
    return chosen


def screens(chosen, count):
    """(page, Cookie header) of `count` screens, each a session of its own."""
    from django.test import Client

    result = []
    for n in range(count):
        user, page = chosen[n % len(chosen)]
        client = Client()
        client.force_login(user)
        result.append((page, f"sessionid={client.cookies['sessionid'].value}"))
    return result


def collect_static():
    """The wall's panels name static files: without DEBUG they need the manifest."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def seed(count):
    """`count` active incidents as bench/board_render.py seeds them, without pushing."""
    from command_room import push
    from directory.choices import PositionCode
    from incidents import clocks

    real_push = push.push
    push.push = lambda *args, **kwargs: None
    clocks.schedule_fast_path = lambda deadline: None  # no Celery worker here to run them
    try:
        duty = make_writer(PositionCode.DUTY_OFFICER, "hq_office")
        commander = make_writer(PositionCode.COMMANDER, "hq")
        add_incidents(count, duty, commander)
    finally:
        push.push = real_push
    return duty


def write_events(actor, rate, duration):
    """Continuation reports on the incidents in turn; {seq: commit time}."""
    from incidents.models import Incident

    incidents = list(Incident.objects.order_by("pk"))
    committed_at = {}
    for n in paced(rate, duration):
        seqs, at = file_continuation_report(actor, incidents[n % len(incidents)], n + 1)
        committed_at.update(dict.fromkeys(seqs, at))
    return committed_at


# --- the screens (a process of their own) -----------------------------------------------------


class Screen:
    """One open live page: its socket, and its panel fetches as live.js makes them."""

    def __init__(self, host, port, page, cookie, gate, pushed):
        self.host, self.port, self.page, self.cookie, self.gate = host, port, page, cookie, gate
        self.pushed = pushed
        self.applied = self.held_seq = 0
        self.held_tag = ""
        self.late = self.mismatched = self.wanted = 0
        self.grace = None  # the timer that fetches when pushed panels are late
        self.pushes = 0
        self.scheduled = self.fetching = self.again = False
        self.waiting = {}  # seq of a frame that concerns it → None, until panels that new
        self.converged = {}  # seq → when the screen first held panels at least that new
        self.connection = None  # (reader, writer), kept alive
        self.fetch_task = None
        self.fetches = self.errors = 0
        self.failure = ""
        self.bytes = 0

    async def run(self, opened):
        async with self.gate:
            socket = await connect(
                f"ws://{self.host}:{self.port}/ws/timeline/"
                f"?panels={SCREEN_OF_PAGE[self.page]}&lang=zh-hans", open_timeout=120,
                ping_interval=None, additional_headers={
                    "Cookie": self.cookie, "Origin": f"http://{self.host}:{self.port}"})
        opened.append(self)
        async with socket:
            async for message in socket:
                frame = json.loads(message)
                if frame["type"] in ("heartbeat", "feed"):
                    continue
                if frame["type"] == "panels":
                    self.pushes += 1
                    self.bytes += len(message)
                    if frame.get("same") and frame["tag"] != self.held_tag:
                        self.mismatched += 1
                        self.fetch_now()
                        continue
                    if "diff" in frame and self.held_tag not in (frame["base"], frame["tag"]):
                        self.mismatched += 1
                        self.fetch_now()  # holds another render: fetch, as live.js does
                        continue
                    self.held_tag = frame["tag"]
                    self.held(frame["seq"], 0)
                    continue
                self.applied = max(self.applied, frame["seq"])
                if frame["type"] == "skip":
                    continue
                self.waiting[frame["seq"]] = None
                self.wanted = frame["seq"]
                if self.pushed:
                    self.await_push(frame["seq"])
                elif self.fetching:
                    self.again = True
                elif not self.scheduled:
                    self.scheduled = True
                    asyncio.get_running_loop().call_later(PANEL_DELAY, self.refresh)

    def await_push(self, seq):
        if self.held_seq >= seq:
            self.held(self.held_seq, 0)
        elif self.grace is None:
            self.grace = asyncio.get_running_loop().call_later(
                PANEL_PUSH_GRACE, self.push_late, seq)

    def push_late(self, seq):
        self.grace = None
        if self.held_seq < seq:
            self.late += 1
            self.fetch_now()
        elif self.held_seq < self.wanted:
            self.await_push(self.wanted)

    def fetch_now(self):
        if self.fetching:
            self.again = True
        else:
            self.refresh()

    def refresh(self):
        self.scheduled, self.fetching, self.again = False, True, False
        self.fetch_task = asyncio.get_running_loop().create_task(self.fetch(self.applied))

    async def fetch(self, seq):
        try:
            body = await asyncio.wait_for(self.get(f"{self.page}?panels=1&seq={seq}"),
                                          FETCH_TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as error:
            if self.connection:
                self.connection[1].close()
                self.connection = None
            self.errors += 1
            self.failure = repr(error)[:120]
            body = None
        if body is not None:
            self.fetches += 1
            self.held_tag = PANELS_TAG.search(body).group(1).decode()
            self.held(int(PANELS_SEQ.search(body).group(1)), len(body))
        self.fetching = False
        if self.again:
            self.refresh()

    def held(self, seq, size):
        now = time.time()
        self.held_seq = max(self.held_seq, seq)
        self.bytes += size
        for waiting in [s for s in self.waiting if s <= seq]:
            del self.waiting[waiting]
            self.converged[waiting] = now

    async def get(self, path):
        """GET on the keep-alive connection; once more on a new one if the server had
        closed it (idle), as a browser does."""
        if self.connection:
            try:
                return await self.exchange(path)
            except (OSError, asyncio.IncompleteReadError):
                self.connection[1].close()
        self.connection = await asyncio.open_connection(self.host, self.port)
        return await self.exchange(path)

    async def exchange(self, path):
        reader, writer = self.connection
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                     f"Cookie: {self.cookie}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            writer.close()
            self.connection = None
            raise ValueError(head.split(b"\r\n", 1)[0])
        return await reader.readexactly(int(LENGTH.search(head).group(1)))


def run_screens(pipe, host, port, pages, pushed):
    raise_open_files_limit()
    uvloop.run(hold_screens(pipe, host, port, pages, pushed))


async def hold_screens(pipe, host, port, pages, pushed):
    gate, opened = asyncio.Semaphore(OPENING_AT_ONCE), []
    all_screens = [Screen(host, port, page, cookie, gate, pushed) for page, cookie in pages]
    tasks = [asyncio.create_task(screen.run(opened)) for screen in all_screens]
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while len(opened) < len(all_screens) and time.monotonic() < deadline:
        if failed := [t for t in tasks if t.done() and t.exception()]:
            pipe.send(("failed", repr(failed[0].exception())))
            return
        await asyncio.sleep(0.1)
    pipe.send(("opened", len(opened)))
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, pipe.recv) == "waiting":
        pipe.send((sum(len(screen.waiting) for screen in all_screens),
                   min(screen.applied for screen in all_screens)))
    tasks += [screen.fetch_task for screen in all_screens if screen.fetch_task]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    pipe.send([(screen.converged, list(screen.waiting), screen.fetches, screen.errors,
                screen.bytes, screen.failure, screen.pushes, screen.late, screen.mismatched,
                screen.page)
               for screen in all_screens])


# --- one measurement --------------------------------------------------------------------------


def warm_up(server, pages):
    """One fetch of each kind of screen's panels: the first render of each template (and
    the imports behind it) is not an event's."""
    import urllib.request

    for page, cookie in {page_cookie[0]: page_cookie for page_cookie in pages}.values():
        request = urllib.request.Request(f"http://127.0.0.1:{server.port}{page}?panels=1",
                                         headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()


def measure(args, server, pages, actor, pushed):
    """Figures of one N in one mode."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=run_screens, daemon=True,
                              args=(theirs, "127.0.0.1", server.port, pages, pushed))
    process.start()
    try:
        if not ours.poll(CONNECT_TIMEOUT + 10):
            raise RuntimeError("the screens did not connect")
        state, detail = ours.recv()
        if state != "opened" or detail != len(pages):
            raise RuntimeError(f"screens: {state} {detail}")
        time.sleep(SETTLE_SECONDS)
        cpu_before = cpu_seconds(server.pid)
        committed_at = write_events(actor, args.rate, args.duration)
        drain_until = time.monotonic() + args.drain
        while time.monotonic() < drain_until:  # until every screen has the last event's panels
            ours.send("waiting")
            waiting, applied = ours.recv()
            if not waiting and applied >= max(committed_at):
                break
            time.sleep(0.1)
        cpu = cpu_seconds(server.pid) - cpu_before
        ours.send("stop")
        seen = ours.recv()
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
    return figures(committed_at, seen, cpu)


def figures(committed_at, seen, cpu):
    latest = defaultdict(float)  # seq → the last screen's convergence (inf: some never)
    for converged, waiting, *_counts in seen:
        for seq, at in converged.items():
            latest[seq] = max(latest[seq], at - committed_at.get(seq, at))
        for seq in waiting:
            latest[seq] = float("inf")
    times = sorted(latest[seq] for seq in committed_at if seq in latest)
    fetches = sum(screen[2] for screen in seen)
    pushes = sum(screen[6] for screen in seen)
    events = len(committed_at)
    return {
        "events": events,
        "p50": percentile(times, 50), "p99": percentile(times, 99),
        "max": times[-1] if times else float("nan"),
        "missed": sum(1 for t in times if t == float("inf")),
        "cpu_ms": 1000 * cpu / max(1, events),
        "fetches": fetches / max(1, events),
        "pushes": pushes / max(1, events),
        "kb": sum(screen[4] for screen in seen) / max(1, fetches + pushes) / 1024,
        "errors": sum(screen[3] for screen in seen),
        "late": sum(screen[7] for screen in seen),
        "mismatched": sum(screen[8] for screen in seen),
        "never_pages": Counter((screen[9], seq) for screen in seen for seq in screen[1]),
        "late_pages": Counter(screen[9] for screen in seen for _ in range(screen[7])),
        "failures": Counter(screen[5] for screen in seen if screen[5]).most_common(2),
    }


def percentile(values, p):
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def ms(value):
    return "never" if value == float("inf") else f"{value * 1000:.0f}"


def report(run, mode, count, result, server):
    print(f"{run:>3} {mode:<10} {count:>4} {result['events']:>6} "
          f"{ms(result['p50']):>7} {ms(result['p99']):>7} {ms(result['max']):>7} "
          f"{result['missed']:>6} {result['cpu_ms']:>12.1f} {result['fetches']:>13.1f} "
          f"{result['pushes']:>12.1f} {result['kb']:>9.1f} {result['errors']:>6}", flush=True)
    errors = [line for line in server.lines if "Error" in line or "Traceback" in line
              or "could not" in line]
    for line in errors[-5:]:
        print(f"      server: {line}", end="")
    if result["never_pages"]:
        print(f"      never (page, event): {dict(result['never_pages'])}")
    if result["late"] or result["mismatched"]:
        print(f"      fetched for pushes late: {result['late']} "
              f"(by page: {dict(result['late_pages'])}), "
              f"for changes of another render: {result['mismatched']}")
    for failure, screens_failing in result["failures"]:
        print(f"      {screens_failing} screens last failed: {failure}")


# --- main -------------------------------------------------------------------------------------


def main():
    args = parse_args()
    raise_open_files_limit()
    print("== screen convergence benchmark ==")
    print(f"machine: {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f} (1-min) at the start")
    print(f"{args.incidents} active incidents, {args.rate:g} events/s for {args.duration:g} s, "
          f"{args.drain:g} s to drain; {args.runs} runs")
    passed = True
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as folder:
        redis = PrivateRedis(folder)
        try:
            configure_environment(args.database, redis.url)
            recreate_database(os.environ["DATABASE_URL"])
            setup_django()
            collect_static()
            started = time.perf_counter()
            actor = seed(args.incidents)
            chosen = profiles()
            print(f"seeded in {time.perf_counter() - started:.0f} s; "
                  f"{len(chosen)} kinds of screen")
            print(f"{'run':>3} {'mode':<10} {'N':>4} {'events':>6} {'p50 ms':>7} {'p99 ms':>7} "
                  f"{'max ms':>7} {'missed':>6} {'CPU ms/event':>12} {'fetches/event':>13} "
                  f"{'pushed/event':>12} {'KB/update':>9} {'errors':>6}")
            for run in range(1, args.runs + 1):
                for mode in args.modes:
                    os.environ.update(MODES[mode])
                    server = Uvicorn()
                    try:
                        warm_up(server, screens(chosen, len(chosen)))
                        for count in sorted(args.screens):
                            try:
                                result = measure(args, server, screens(chosen, count), actor,
                                                 pushed=mode == "pushed")
                            except RuntimeError:
                                print("".join(server.lines[-80:]))
                                raise
                            report(run, mode, count, result, server)
                            if mode == "pushed" and count == max(args.screens):
                                passed &= (result["p99"] <= TARGET_SECONDS
                                           and not result["missed"])
                    finally:
                        server.stop()
        finally:
            redis.stop()
    print(f"load {os.getloadavg()[0]:.1f} (1-min) at the end")
    print(f"target: pushed p99 <= {TARGET_SECONDS * 1000:.0f} ms at N = {max(args.screens)}, "
          f"every event converged → {'PASS' if passed else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
