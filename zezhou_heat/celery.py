import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")

app = Celery("zezhou_heat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker fires the clocks from PostgreSQL in a thread of its own (incidents/worker.py),
# named here rather than imported: this module is wiring, loaded before the apps.
app.steps["worker"].add("incidents.worker:ClockStep")
