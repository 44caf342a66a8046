"""Thin Celery wrappers: a service call out."""

from celery import shared_task

from notify import services


@shared_task(ignore_result=True)
def hand_over():
    services.hand_over_due()


@shared_task(ignore_result=True)
def sweep():
    """Beat's: the clocks' alerts made from the timeline, then whatever is queued or due for
    a retry handed over (the safety net under the after-commit task)."""
    services.clock_alerts_created()
    services.hand_over_due()


@shared_task(ignore_result=True)
def poll():
    services.receipts_polled()
