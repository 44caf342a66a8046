from django.contrib import admin

from timeline.models import Event
from zezhou_heat.admin import ReadOnlyAdminMixin


@admin.register(Event)
class EventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["seq", "occurred_at", "actor_name", "kind", "subject_label"]
    list_filter = ["kind", "subject_type"]
    search_fields = ["subject_label", "actor_name", "kind"]
