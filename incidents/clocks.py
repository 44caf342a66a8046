"""The clocks (plan §4.1 written reports and inquiry replies, §4.4 notice acknowledgements):
one Deadline row per clock, started and met by the services of incidents and responses,
fired by the sweep. Firing needs PostgreSQL only; the Celery task that looks at one clock
when it falls due is a fast path on top of the sweep (DESIGN.md, "Deadlines live in the
database"). incidents.tasks calls in here; this module names that task only by its name."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from directory.selectors import liaisons_by_unit, users_on_call
from incidents.models import Deadline
from timeline.services import append_event
from zezhou_heat.dates import earliest
from zezhou_heat.fast_path import FastPath

logger = logging.getLogger(__name__)
CHECK_DEADLINE_TASK = "incidents.tasks.check_deadline"
CLOCK_CHANNEL = "zezhou_clocks"  # NOTIFY wakes the clock threads of the workers (incidents.worker)


def start_clock(incident, kind, starts_at, inquiry=None, unit=None, remind=True):
    """A clock on the incident; `unit` is the member unit that owes it, if one does. Without
    `remind`, no reminder comes before it falls due (it is reminded when due, and overdue
    is marked first)."""
    minutes = settings.DEADLINE_MINUTES[kind]
    due_at = starts_at + timedelta(minutes=minutes)
    remind_at = due_at - timedelta(minutes=settings.DEADLINE_REMINDER_MINUTES if remind else 0)
    deadline = Deadline.objects.create(
        kind=kind, incident=incident, inquiry=inquiry, unit=unit, starts_at=starts_at,
        due_at=due_at, remind_at=remind_at)
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


fast_path = FastPath("deadline fast path")


def schedule_fast_path(deadline):
    """After commit, ask Celery to look at the deadline when it falls due (zezhou_heat.
    fast_path: the beat sweep catches it anyway; a dead broker pauses the fast path). A clock
    logged after the fact, already past its due time, is left to the sweep."""
    expires = deadline.due_at + timedelta(minutes=5)
    if expires <= timezone.now():
        return
    fast_path.send_after_commit(CHECK_DEADLINE_TASK, args=[deadline.pk], eta=deadline.due_at,
                                expires=expires)


# --- deadline sweep ---------------------------------------------------------------------------


def sweep_deadlines(now=None):
    """Mark every due reminder and every overdue clock, each exactly once. Safe to run from
    any number of workers at once: rows are claimed with SKIP LOCKED and stamped in the same
    statement (_claim). Returns (reminders, overdue) counts."""
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
    """Claim a batch and mark it: the stamp first, in the claiming statement, then the events
    and notifications, in the same transaction. A row that cannot be processed (read, checked
    or told) loses its stamp, is logged and set aside (Deadline.failed_at), so it is never
    tried again and never stops the others."""
    marked = 0
    while True:
        with transaction.atomic():
            claimed = _claim(queryset, field)
            if not claimed:
                return marked
            deadlines = _load(claimed, field)
            recipients = _recipients(deadlines, now)
            try:  # the usual case: the whole batch at once, in one savepoint
                with transaction.atomic():
                    marked += sum(_fire(d, kind, recipients) for d in deadlines)
            except TRANSIENT:
                raise  # the database, not a row: the whole batch is retried next sweep
            except Exception:
                logger.warning("A deadline of %s failed: marking them one by one", claimed)
                marked += _one_by_one(deadlines, field, kind, recipients)
        if len(claimed) < SWEEP_BATCH:
            return marked


def _claim(queryset, field):
    """Stamp `field` with the time of marking on a batch of the queryset's rows, in one
    statement, and return their ids. The statement is also the exactly-once claim: rows
    another transaction holds are skipped (SKIP LOCKED) and a row already stamped no longer
    matches, so two workers, the beat sweep and the fast path never mark a row twice."""
    batch = (queryset.select_for_update(skip_locked=True, of=("self",)).order_by("due_at")
             .values_list("pk")[:SWEEP_BATCH])
    select, params = batch.query.get_compiler(using=batch.db).as_sql()
    quote = connection.ops.quote_name
    table, column = quote(Deadline._meta.db_table), quote(Deadline._meta.get_field(field).column)
    pk = quote(Deadline._meta.pk.column)
    marked_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH claimed (pk) AS MATERIALIZED ({select}) "
            f"UPDATE {table} SET {column} = %s WHERE {pk} IN (SELECT pk FROM claimed) "
            f"RETURNING {pk}", [*params, marked_at])
        return [pk for (pk,) in cursor.fetchall()]


def _recipients(deadlines, now):
    """Who hears of each clock, {deadline id: users}: the office (directors, duty officers on
    shift) always, and the liaisons of the member unit that owes it, if one does."""
    on_call = users_on_call(now)
    liaisons = liaisons_by_unit({d.unit_id for d in deadlines if d.unit_id})
    return {d.pk: {*on_call, *liaisons.get(d.unit_id, ())} for d in deadlines}


def _one_by_one(deadlines, field, kind, recipients):
    """After the batch's savepoint rolled back (the stamps stay): each row in a savepoint of
    its own (two more round trips a row, so only when a batch failed)."""
    marked = 0
    for deadline in deadlines:
        try:
            with transaction.atomic():
                marked += _fire(deadline, kind, recipients)
        except TRANSIENT:
            raise
        except Exception as error:  # isolate the row, whatever went wrong with it
            _set_aside(deadline.pk, error, field)
    return marked


def _load(claimed, field):
    """The claimed rows with what marking them needs, in one query; one by one only if
    that query fails, so that a row that cannot be read is set aside alone."""
    rows = Deadline.objects.select_related("incident__township", "inquiry", "unit").order_by(
        "due_at")
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
            _set_aside(pk, error, field)
    return loaded


# Errors of the database rather than of a row (connection lost, lock or statement timeout):
# never a reason to set a clock aside for good.
TRANSIENT = (OperationalError, InterfaceError)


class UnprocessableDeadline(Exception):
    """A clock the sweep will not fire: its times cannot have been meant."""


def _fire(deadline, kind, recipients):
    """The event and notifications of a clock already stamped by _claim."""
    if deadline.due_at < earliest():  # started from a time nobody can have meant
        raise UnprocessableDeadline(
            f"due at {deadline.due_at.isoformat()}, before {earliest().date().isoformat()}")
    new = {"kind": deadline.kind, "due_at": local_time(deadline.due_at)}
    if deadline.unit:
        new["unit"] = str(deadline.unit)
    append_event(actor=None, kind=kind, subject=deadline, incident=deadline.incident,
                 notify=recipients[deadline.pk], new=new)
    return 1


def _set_aside(pk, error, field):
    """Log a row the sweep could not process and mark it so that it is not tried again; the
    stamp _claim gave it is taken back, as no event says it was marked."""
    logger.error("Deadline %s set aside: it could not be processed (%s: %s)", pk,
                 type(error).__name__, error, exc_info=error)
    Deadline.objects.filter(pk=pk, failed_at__isnull=True).update(
        failed_at=timezone.now(), failure=f"{type(error).__name__}: {error}"[:300],
        **{field: None})


def deadline_checked(deadline_id):
    """The fast path for one deadline: the same marking as the sweep, for that row only."""
    return _sweep(Deadline.objects.open().filter(pk=deadline_id), timezone.now())


def local_time(moment):
    """A time as the county reads it, for the timeline's values."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
