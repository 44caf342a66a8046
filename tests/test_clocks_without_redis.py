"""The clocks need PostgreSQL and nothing else (issue 11, defect 14; issue 13): with the
broker's Redis killed for 30 s while deadlines fall due, a real Celery worker (no beat) marks
each on time and exactly once from PostgreSQL, and is still alive when Redis returns; two
worker processes that never reach a broker at all, each with its clock, fire every clock
exactly once, woken by the NOTIFY of the write that started it."""

import os
import signal
import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from directory.choices import PositionCode
from incidents import clocks
from incidents.choices import DeadlineKind
from incidents.models import Deadline
from incidents.worker import LONGEST_SLEEP
from tests.incident_helpers import report_incident
from tests.live_helpers import database_url, free_port, wait_until
from tests.test_celery_clocks import CeleryProcess
from timeline.models import Event

pytestmark = [pytest.mark.celery, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
REDIS_DOWN_SECONDS = 30
DUE_AFTER_KILL = (3, 12, 22)  # seconds


CLOCK_RUNNING = "Deadline clock running"  # logged by incidents.worker.ClockThread


def start_worker(redis_url, settings):
    """A worker as the Procfile starts it, on the test database, with Redis at `redis_url`."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zezhou_heat.settings.test",
           "DATABASE_URL": database_url(), "REDIS_URL": redis_url,
           "CELERY_QUEUE": f"test-{uuid.uuid4().hex[:8]}",
           "LIVE_CHANNEL_PREFIX": settings.LIVE_CHANNEL_PREFIX}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return CeleryProcess(["worker", "--loglevel", "INFO", "--concurrency", "2",
                          "--without-gossip", "--without-mingle", "--without-heartbeat"], env)


@pytest.fixture
def worker(private_redis, settings):
    process = start_worker(private_redis.url, settings)
    process.wait_for("ready.")
    yield process
    process.kill(signal.SIGTERM)


@pytest.fixture
def two_workers_without_a_broker(settings):
    """Two worker processes whose Redis is a loopback port nobody listens on, from the start."""
    nobody_there = f"redis://127.0.0.1:{free_port()}/0"
    workers = [start_worker(nobody_there, settings) for _ in range(2)]
    try:
        for process in workers:
            process.wait_for(CLOCK_RUNNING)
        yield workers
    finally:
        for process in workers:
            process.kill(signal.SIGTERM)


def clock_due_in(incident, seconds):
    """A written-report clock of `incident` falling due `seconds` from now."""
    duration = timedelta(minutes=django_settings.DEADLINE_MINUTES[DeadlineKind.WRITTEN_REPORT])
    starts_at = timezone.now() + timedelta(seconds=seconds) - duration
    return clocks.start_clock(incident, DeadlineKind.WRITTEN_REPORT, starts_at)


def connections(worker):
    return sum("Connected to" in line for line in worker.lines)


def test_deadlines_fire_on_time_while_redis_is_killed(worker, private_redis, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    incidents = [report_incident(duty) for _ in DUE_AFTER_KILL]
    Deadline.objects.all().delete()  # the 30-minute clocks of intake: not what is measured here

    private_redis.kill()
    killed_at = time.monotonic()
    due = [clock_due_in(incident, seconds) for incident, seconds
           in zip(incidents, DUE_AFTER_KILL, strict=True)]

    def all_marked():
        return all(Deadline.objects.get(pk=d.pk).overdue_at for d in due)

    assert wait_until(all_marked, REDIS_DOWN_SECONDS), worker.lines[-30:]
    for deadline in due:
        deadline.refresh_from_db()
        late = deadline.overdue_at - deadline.due_at
        print(f"clock {deadline.pk}: marked {late.total_seconds():.3f} s after it fell due")
        assert timedelta(0) <= late <= timedelta(seconds=2)
    assert time.monotonic() - killed_at < REDIS_DOWN_SECONDS  # all of it while Redis was dead

    time.sleep(max(0.0, REDIS_DOWN_SECONDS - (time.monotonic() - killed_at)))
    connected_before = connections(worker)
    private_redis.start()
    assert wait_until(lambda: connections(worker) > connected_before, 30), worker.lines[-30:]
    assert worker.process.poll() is None, "the worker died when Redis went away"
    for incident in incidents:
        assert Event.objects.filter(kind="deadline.overdue", incident=incident).count() == 1


WRITTEN_AHEAD = 0.5  # seconds between starting a clock and its due time
# Without the NOTIFY wake, an idle clock thread notices a new clock only when its longest
# sleep (LONGEST_SLEEP, 5 s) ends: up to that late. WOKEN_WITHIN is far above the tens of
# milliseconds the wake takes on a loaded machine, and far below what its loss would cost.
WOKEN_WITHIN = timedelta(seconds=1.5)


def test_two_workers_never_reaching_redis_fire_each_clock_once(two_workers_without_a_broker,
                                                                make_user):
    assert WOKEN_WITHIN.total_seconds() < LONGEST_SLEEP - WRITTEN_AHEAD
    duty = make_user(PositionCode.DUTY_OFFICER)
    incidents = [report_incident(duty) for _ in range(5)]
    Deadline.objects.all().delete()  # the 30-minute clocks of intake: not what is measured here

    due = []
    for incident in incidents:  # each written while both clocks sleep, none left open
        due.append(clock_due_in(incident, WRITTEN_AHEAD))
        time.sleep(WRITTEN_AHEAD + 0.5)

    def all_marked():
        return not Deadline.objects.filter(pk__in=[d.pk for d in due],
                                           overdue_at__isnull=True).exists()

    assert wait_until(all_marked, 10), [w.lines[-20:] for w in two_workers_without_a_broker]
    time.sleep(2)  # both clocks sweep again meanwhile: a second mark would show now
    for deadline in due:
        deadline.refresh_from_db()
        late = deadline.overdue_at - deadline.due_at
        print(f"clock {deadline.pk}: marked {late.total_seconds():.3f} s after it fell due")
        assert timedelta(0) <= late <= WOKEN_WITHIN
    for incident in incidents:
        assert Event.objects.filter(kind="deadline.overdue", incident=incident).count() == 1
        assert Event.objects.filter(kind="deadline.reminder", incident=incident).count() == 1
    for process in two_workers_without_a_broker:
        assert process.process.poll() is None, "a worker died without a broker"
        assert not any("ready." in line for line in process.lines)  # it never had a broker
