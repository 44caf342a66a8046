from django.contrib import admin

from timeline.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["seq", "occurred_at", "actor_name", "kind", "subject_label"]
    list_filter = ["kind", "subject_type"]
    search_fields = ["subject_label", "actor_name", "kind"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
