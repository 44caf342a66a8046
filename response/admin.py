from django.contrib import admin

from directory.admin import ServiceAdmin
from response.models import PlaybookItem, Response
from zezhou_heat.admin import ReadOnlyAdminMixin


@admin.register(PlaybookItem)
class PlaybookItemAdmin(ServiceAdmin):
    """The on-site measures of plan §4.5: data that administrators keep current."""

    list_display = ["scenario", "task_group", "text", "order"]
    list_filter = ["scenario", "task_group"]
    search_fields = ["text"]


@admin.register(Response)
class ResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["incident", "level", "state", "started_by", "started_at"]
    list_filter = ["level", "state"]
