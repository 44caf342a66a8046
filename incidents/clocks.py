"""The clocks (plan §4.1 written reports and inquiry replies, §4.4 notice acknowledgements):
one Deadline row per clock, started and met by the services of incidents and responses,
fired by the sweep. Firing needs PostgreSQL only; the Celery task that looks at one clock
when it falls due is a fast path on top of the sweep (DESIGN.md, "Deadlines live in the
database"). incidents.tasks calls in here; this module names that task only by its name."""

import logging
import time
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from directory.selectors import users_on_call
from incidents.models import Deadline
from timeline.services import append_event
from zezhou_heat.dates import earliest

logger = logging.getLogger(__name__)
CHECK_DEADLINE_TASK = "incidents.tasks.check_deadline"
CLOCK_CHANNEL = "zezhou_clocks"  # NOTIFY wakes the clock threads of the workers (incidents.worker)


def start_clock(incident, kind, starts_at, inquiry=None):
    minutes = settings.DEADLINE_MINUTES[kind]
    due_at = starts_at + timedelta(minutes=minutes)
    deadline = Deadline.objects.create(
        kind=kind, incident=incident, inquiry=inquiry, starts_at=starts_at, due_at=due_at,
        remind_at=due_at - timedelta(minutes=settings.DEADLINE_REMINDER_MINUTES))
    _wake_the_workers_clocks()
    return deadline


def _wake_the_workers_clocks():
    """NOTIFY the clock threads (incidents/worker.py); PostgreSQL delivers it at commit,
    and not at all on rollback."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {CLOCK_CHANNEL}")


def meet(deadline, moment):
    """Conditional: the first report that meets a clock stops it; later ones change nothing."""
    Deadline.objects.unsettled().filter(pk=deadline.pk).update(met_at=moment)


def settle(deadlines, moment):
    """Stop clocks nobody needs to meet any more (the response that started them ended or was
    handed over): each still unmet is marked cancelled, so the sweep and the fast path never
    fire it, reminder or overdue alike. Conditional, so a clock met meanwhile stays met.
    Returns how many were settled."""
    return deadlines.unsettled().update(cancelled_at=moment)


FAST_PATH_PAUSE = 30  # seconds without trying the broker after it failed once
_broker_down_until = 0.0


def schedule_fast_path(deadline):
    """After commit, ask Celery to look at the deadline when it falls due. The beat sweep
    catches it anyway if this is lost; this only makes it prompt. When the broker fails, no
    further attempt is made for FAST_PATH_PAUSE seconds, so writes never wait on a dead Redis.
    A clock logged after the fact, already past its due time, is left to the sweep."""
    def schedule():
        global _broker_down_until
        expires = deadline.due_at + timedelta(minutes=5)
        if time.monotonic() < _broker_down_until or expires <= timezone.now():
            return
        try:
            current_app.send_task(CHECK_DEADLINE_TASK, args=[deadline.pk], eta=deadline.due_at,
                                  retry=False, expires=expires)
        except Exception:  # broker down or unreachable: the sweep still fires it
            _broker_down_until = time.monotonic() + FAST_PATH_PAUSE
            logger.warning("Broker unreachable: deadline fast path paused for %s s",
                           FAST_PATH_PAUSE)

    transaction.on_commit(schedule)


# --- deadline sweep ---------------------------------------------------------------------------


def sweep_deadlines(now=None):
    """Mark every due reminder and every overdue clock, each exactly once. Safe to run from
    any number of workers at once: rows are claimed with SKIP LOCKED and marked with a
    conditional update. Returns (reminders, overdue) counts."""
    return _sweep(Deadline.objects.open(), now or timezone.now())


def _sweep(deadlines, now):
    # Overdue first: a clock already past due gets no reminder that it soon will be.
    overdue = _claim_and_mark(deadlines.filter(due_at__lte=now), now, field="overdue_at",
                              kind="deadline.overdue")
    reminders = _claim_and_mark(
        deadlines.filter(reminded_at__isnull=True, remind_at__lte=now), now,
        field="reminded_at", kind="deadline.reminder")
    return reminders, overdue


# Rows per transaction: the timeline lock is held until each batch commits (see
# timeline.services.append_event), so batches stay small to let other writers in between.
SWEEP_BATCH = 100


def _claim_and_mark(queryset, now, *, field, kind):
    """Claim a batch and mark it. A row that cannot be processed (read, checked or marked)
    is rolled back alone, logged and set aside (Deadline.failed_at), so it is never tried
    again and never stops the others."""
    marked = 0
    while True:
        with transaction.atomic():
            claimed = list(queryset.select_for_update(skip_locked=True, of=("self",))
                           .order_by("due_at").values_list("pk", flat=True)[:SWEEP_BATCH])
            if not claimed:
                return marked
            recipients = users_on_call(now)
            deadlines = _load(claimed)
            try:  # the usual case: the whole batch at once, in one savepoint
                with transaction.atomic():
                    marked += sum(_fire(d, field, kind, recipients) for d in deadlines)
            except TRANSIENT:
                raise  # the database, not a row: the whole batch is retried next sweep
            except Exception:
                logger.warning("A deadline of %s failed: marking them one by one", claimed)
                marked += _one_by_one(deadlines, field, kind, recipients)
        if len(claimed) < SWEEP_BATCH:
            return marked


def _one_by_one(deadlines, field, kind, recipients):
    """After the batch's savepoint rolled back: each row in a savepoint of its own (two more
    round trips a row, so only when a batch failed)."""
    marked = 0
    for deadline in deadlines:
        try:
            with transaction.atomic():
                marked += _fire(deadline, field, kind, recipients)
        except TRANSIENT:
            raise
        except Exception as error:  # isolate the row, whatever went wrong with it
            _set_aside(deadline.pk, error)
    return marked


def _load(claimed):
    """The claimed rows with what marking them needs, in one query; one by one only if
    that query fails, so that a row that cannot be read is set aside alone."""
    rows = Deadline.objects.select_related("incident__township", "inquiry",
                                           "notice__unit").order_by("due_at")
    try:
        with transaction.atomic():
            return list(rows.filter(pk__in=claimed))
    except TRANSIENT:
        raise
    except Exception:
        logger.warning("Deadlines %s could not be read together; reading them one by one",
                       claimed)
    loaded = []
    for pk in claimed:
        try:
            with transaction.atomic():
                loaded.append(rows.get(pk=pk))
        except TRANSIENT:
            raise
        except Exception as error:
            _set_aside(pk, error)
    return loaded


# Errors of the database rather than of a row (connection lost, lock or statement timeout):
# never a reason to set a clock aside for good.
TRANSIENT = (OperationalError, InterfaceError)


class UnprocessableDeadline(Exception):
    """A clock the sweep will not fire: its times cannot have been meant."""


def _fire(deadline, field, kind, recipients):
    if deadline.due_at < earliest():  # started from a time nobody can have meant
        raise UnprocessableDeadline(
            f"due at {deadline.due_at.isoformat()}, before {earliest().date().isoformat()}")
    marked_at = timezone.now()  # when it was marked, not when the sweep began
    if not _mark(deadline, marked_at, field):
        return 0
    setattr(deadline, field, marked_at)
    append_event(actor=None, kind=kind, subject=deadline, incident=deadline.incident,
                 notify=recipients, new={"kind": deadline.kind,
                                         "due_at": local_time(deadline.due_at),
                                         **_waiting_for(deadline)})
    return 1


def _waiting_for(deadline):
    """A notice-acknowledgement clock names the unit it waits for (the timeline's sentence
    "县住建局未在21:30前确认收到启动通知"). The notice is the response feature's: reached through
    its reverse relation, loaded with the clock (_load), never imported."""
    notice = getattr(deadline, "notice", None)
    return {"unit": str(notice.unit)} if notice is not None else {}


def _set_aside(pk, error):
    """Log a row the sweep could not process and mark it so that it is not tried again."""
    logger.error("Deadline %s set aside: it could not be processed (%s: %s)", pk,
                 type(error).__name__, error, exc_info=error)
    Deadline.objects.filter(pk=pk, failed_at__isnull=True).update(
        failed_at=timezone.now(), failure=f"{type(error).__name__}: {error}"[:300])


def _mark(deadline, now, field):
    still_open = Deadline.objects.open().filter(pk=deadline.pk, **{f"{field}__isnull": True})
    return still_open.update(**{field: now}) == 1


def deadline_checked(deadline_id):
    """The fast path for one deadline: the same marking as the sweep, for that row only."""
    return _sweep(Deadline.objects.open().filter(pk=deadline_id), timezone.now())


def local_time(moment):
    """A time as the county reads it, for the timeline's values."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
