"""Thin Celery wrappers: ids in, a service call out."""

from celery import shared_task

from incidents import services


@shared_task(ignore_result=True)
def sweep():
    services.sweep_deadlines()


@shared_task(ignore_result=True)
def check_deadline(deadline_id):
    services.deadline_checked(deadline_id)
