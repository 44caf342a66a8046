import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")

app = Celery("zezhou_heat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
