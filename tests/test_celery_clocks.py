"""The clocks with a real Celery worker and beat, against the test database and Redis, on a
shortened clock (seconds, not 30 minutes): an on-time report stops the clock; a missed one is
marked overdue once, within 2 s of its due time; a SIGKILLed worker, restarted, still fires it
exactly once."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from directory.choices import PositionCode
from incidents import services
from incidents.models import Deadline
from tests.incident_helpers import complete_contents, figures_of, report_incident
from tests.live_helpers import database_url, wait_until
from timeline.models import Event

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
CELERY = [sys.executable, "-m", "celery", "-A", "zezhou_heat"]
CLOCK_SECONDS = 4


class CeleryProcess:
    """A worker or beat in its own process group, whose output is watched for a line."""

    def __init__(self, args, env):
        self.process = subprocess.Popen(
            CELERY + args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_for(self, text, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} from celery:\n{''.join(self.lines[-40:])}")

    def kill(self, sig=signal.SIGKILL):
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)


@pytest.fixture
def celery_env(redis_url, tmp_path, settings):
    settings.DEADLINE_MINUTES = {"written_report": CLOCK_SECONDS / 60, "inquiry_reply": 0.5}
    settings.DEADLINE_REMINDER_MINUTES = 1 / 60
    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    from zezhou_heat.celery import app

    app.conf.task_default_queue = queue
    app.conf.broker_url = settings.CELERY_BROKER_URL = _broker(redis_url)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zezhou_heat.settings.test",
           "DATABASE_URL": database_url(), "REDIS_URL": redis_url, "CELERY_QUEUE": queue,
           "LIVE_CHANNEL_PREFIX": settings.LIVE_CHANNEL_PREFIX}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    yield env, tmp_path
    app.conf.task_default_queue = "celery"


def _broker(redis_url):
    return "redis+socket://" + redis_url.removeprefix("unix://") \
        if redis_url.startswith("unix://") else redis_url


@pytest.fixture
def worker_and_beat(celery_env):
    env, folder = celery_env
    started = []

    def start_worker():
        worker = CeleryProcess(["worker", "--pool", "solo", "--loglevel", "INFO",
                                "--without-gossip", "--without-mingle"], env)
        started.append(worker)
        worker.wait_for("ready.")
        return worker

    beat = CeleryProcess(["beat", "--loglevel", "INFO", "--max-interval", "1",
                          "--schedule", str(folder / "beat-schedule")], env)
    started.append(beat)
    beat.wait_for("beat: Starting")
    yield start_worker
    for process in started:
        process.kill(signal.SIGTERM)


def overdue_events(incident):
    return Event.objects.filter(kind="deadline.overdue", incident=incident).count()


def test_clocks_with_a_real_worker_and_beat(worker_and_beat, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    worker = worker_and_beat()

    # An on-time written report stops the clock: it is never marked overdue.
    on_time = report_incident(duty)
    services.written_report_saved(actor=duty, incident=on_time, contents=complete_contents(),
                                  figures=figures_of(on_time))

    # A missed one is marked overdue once, within 2 s of its due time.
    missed = report_incident(duty)
    clock = Deadline.objects.get(incident=missed)
    assert wait_until(lambda: Deadline.objects.get(pk=clock.pk).overdue_at, CLOCK_SECONDS + 10)
    clock.refresh_from_db()
    assert clock.overdue_at - clock.due_at <= timedelta(seconds=2)
    time.sleep(2)  # more sweeps and the fast path have run by now
    assert overdue_events(missed) == 1
    assert Event.objects.filter(kind="deadline.reminder", incident=missed).count() == 1
    assert Deadline.objects.get(incident=on_time).overdue_at is None
    assert overdue_events(on_time) == 0

    # Kill the worker (SIGKILL): the clock falls due while no worker runs …
    worker.kill()
    orphan = report_incident(duty)
    orphan_clock = Deadline.objects.get(incident=orphan)
    time.sleep(max(0, (orphan_clock.due_at - timezone.now()).total_seconds()) + 1.5)
    assert Deadline.objects.get(pk=orphan_clock.pk).overdue_at is None
    # … and a restarted worker still fires it, exactly once.
    worker_and_beat()
    assert wait_until(lambda: Deadline.objects.get(pk=orphan_clock.pk).overdue_at, 20)
    time.sleep(2)
    assert overdue_events(orphan) == 1
