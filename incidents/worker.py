"""The clock inside every Celery worker: a bootstep whose thread fires the clocks from
PostgreSQL alone (DESIGN.md, "Deadlines live in the database, and fire without Redis").

It sweeps (incidents.clocks.sweep_deadlines: claim with SKIP LOCKED, mark once), then sleeps
until the next reminder or due time, and is woken early when a clock starts
(`NOTIFY zezhou_clocks`, sent by clocks.start_clock and delivered at commit). Redis is not on
this path: with the broker hung or killed, the worker keeps its clock running; beat's
per-second sweep and the fast-path task are only extra ways to the same conditional marks.
zezhou_heat.celery adds this step to the worker by name."""

import gc
import logging
import threading

from celery import bootsteps
from django.db import close_old_connections, connection
from django.db.models import Min, Q
from django.utils import timezone

from incidents import clocks
from incidents.models import Deadline

logger = logging.getLogger(__name__)
LONGEST_SLEEP = 5.0  # seconds: a lost notification delays nothing by more than this
AFTER_FAILURE = 1.0
HELD_ELSEWHERE = 0.02  # seconds; see seconds_to_wait


def next_clock_time():
    """The earliest reminder or due time still to mark, or None: one query."""
    times = Deadline.objects.open().aggregate(
        due=Min("due_at"), remind=Min("remind_at", filter=Q(reminded_at__isnull=True)))
    return min((moment for moment in times.values() if moment is not None), default=None)


def seconds_to_wait(swept_at, marked):
    """Until the next clock, at most LONGEST_SLEEP. A clock that was due when this sweep began
    and that it did not mark is held by another worker's sweep (SKIP LOCKED), which marks it as
    it commits: pause HELD_ELSEWHERE rather than sweep again at once, round after round."""
    next_time = next_clock_time()
    if next_time is None:
        return LONGEST_SLEEP
    if next_time <= swept_at and not marked:
        return HELD_ELSEWHERE
    return max(0.0, min(LONGEST_SLEEP, (next_time - timezone.now()).total_seconds()))


class _Listener:
    """A connection of its own that LISTENs for started clocks (PostgreSQL; elsewhere the
    thread only sleeps). Reconnects on the next wait after any failure."""

    def __init__(self):
        self.conn = None

    def wait(self, seconds, stopping):
        if connection.vendor != "postgresql":
            stopping.wait(seconds)
            return
        try:
            if self.conn is None or self.conn.closed:
                self.conn = self._connect()
            for _notify in self.conn.notifies(timeout=seconds, stop_after=1):
                break
        except Exception as error:  # noqa: BLE001 - the database is away: sleep, then retry
            logger.warning("Clock listener: %r; polling until the database answers", error)
            self.close()
            stopping.wait(seconds)

    @staticmethod
    def _connect():
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        conn = psycopg.connect(**params, autocommit=True)
        conn.execute(f"LISTEN {clocks.CLOCK_CHANNEL}")
        return conn

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self.conn = None


class ClockThread(threading.Thread):
    def __init__(self):
        super().__init__(name="deadline-clock", daemon=True)
        self.stopping = threading.Event()
        self.listener = _Listener()

    def run(self):
        logger.info("Deadline clock running in this worker (PostgreSQL only, no broker)")
        while not self.stopping.is_set():
            try:
                swept_at = timezone.now()
                marked = sum(clocks.sweep_deadlines(swept_at))
                wait = seconds_to_wait(swept_at, marked)
            except Exception:  # noqa: BLE001 - one failed sweep must not stop the clock
                logger.exception("Deadline sweep failed; trying again in %s s", AFTER_FAILURE)
                wait = AFTER_FAILURE
            finally:
                close_old_connections()
            if wait > 0:
                self.listener.wait(wait, self.stopping)
        self.listener.close()

    def stop(self):
        self.stopping.set()


class ClockStep(bootsteps.StartStopStep):
    """Starts the clock thread with the worker and stops it at shutdown. A worker blueprint
    step, not a consumer one: losing the broker connection restarts the consumer, never this."""

    requires = {"celery.worker.components:Pool"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.thread = None

    def start(self, worker):
        # What the worker loaded to boot lives as long as it does: out of the collector's
        # sight, a full collection no longer stops the clock for ~50 ms to walk it again.
        gc.collect()
        gc.freeze()
        self.thread = ClockThread()
        self.thread.start()

    def stop(self, worker):
        if self.thread is not None:
            self.thread.stop()
            self.thread.join(timeout=LONGEST_SLEEP + 1)
