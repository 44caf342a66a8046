"""Thin Celery wrappers: ids in, a service call out."""

from celery import shared_task

from incidents import clocks


@shared_task(ignore_result=True)
def sweep():
    clocks.sweep_deadlines()


@shared_task(ignore_result=True)
def check_deadline(deadline_id):
    clocks.deadline_checked(deadline_id)
