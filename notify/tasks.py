"""Thin Celery wrappers: a service call out."""

from celery import shared_task

from notify import services


@shared_task(ignore_result=True)
def hand_over():
    services.hand_over_due()


@shared_task(ignore_result=True)
def sweep():
    """The safety net (beat): whatever is queued or due for a retry is handed over."""
    services.hand_over_due()


@shared_task(ignore_result=True)
def poll():
    services.receipts_polled()
