"""A fast path to Celery: after commit, ask for a task at once, never waiting on a dead broker.

The beat sweeps do the same work anyway; a fast path only makes it prompt. So a send that
fails is not retried: the path pauses for PAUSE seconds (a write never pays the broker's
timeout twice in a row) and the sweep catches up. Nothing is sent for a transaction that
rolls back. The floor: imports nothing of the project."""

import logging
import time

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


class FastPath:
    PAUSE = 30  # seconds without trying the broker after it failed once

    def __init__(self, what):
        self.what = what  # for the log: "deadline fast path", "message hand-over"
        self.down_until = 0.0

    def send_after_commit(self, task, **options):
        """`task` (a registered name) with Celery's send options, once the current
        transaction commits; at once outside one."""
        transaction.on_commit(lambda: self.send(task, **options))

    def send(self, task, **options):
        if self.paused():
            return
        try:
            current_app.send_task(task, retry=False, **options)
        except Exception:  # broker down or unreachable: the sweep still does it
            self.down_until = time.monotonic() + self.PAUSE
            logger.warning("Broker unreachable: %s paused for %s s", self.what, self.PAUSE)

    def paused(self):
        return time.monotonic() < self.down_until
