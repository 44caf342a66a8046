"""Thin Celery wrappers: a service call out."""

from celery import shared_task

from notify import escalation, services


@shared_task(ignore_result=True)
def hand_over():
    services.hand_over_due()


@shared_task(ignore_result=True)
def sweep():
    """Beat's: the clocks' alerts made from the timeline and the office director's digests of
    silent units, then whatever is queued or due for a retry handed over (the safety net
    under the after-commit task)."""
    services.clock_alerts_created()
    escalation.escalation_digests_sent()
    services.hand_over_due()


@shared_task(ignore_result=True)
def poll():
    services.receipts_polled()
