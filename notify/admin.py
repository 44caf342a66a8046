from django.contrib import admin

from directory.admin import ServiceAdmin
from notify.models import ChannelAddress, Delivery, Escalation, Message, RecipientRule
from zezhou_heat.admin import ReadOnlyAdminMixin


@admin.register(RecipientRule)
class RecipientRuleAdmin(ServiceAdmin):
    """Who receives what: administrators read and change the rules (each change on the
    timeline, as every directory edit)."""

    list_display = ["kind", "audience", "channels", "levels", "active", "order"]
    list_filter = ["kind", "audience", "active"]
    filter_horizontal = ["positions"]


@admin.register(ChannelAddress)
class ChannelAddressAdmin(ServiceAdmin):
    list_display = ["person", "channel", "address"]
    list_filter = ["channel"]
    search_fields = ["person__name", "address"]
    autocomplete_fields = ["person"]


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "text", "incident"]
    list_filter = ["kind"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "message", "person", "unit", "channel", "status", "attempts",
                    "error_code"]
    list_filter = ["status", "channel"]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The steps of unacknowledged notices (notify.escalation): read, never edited."""

    list_display = ["created_at", "notice", "step", "recipients", "skipped", "clock"]
    list_filter = ["step", "skipped"]
