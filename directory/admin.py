"""Administrators edit the directory here too; every save goes through the directory
services, so authority is checked and the change lands on the timeline."""

from django.contrib import admin

from directory import services
from directory.models import DutyShift, Person, Position, PositionHolding, TaskGroup, Unit
from zezhou_heat.admin import ReadOnlyAdminMixin
from zezhou_heat.forms import ModelForm


class ServiceAdmin(admin.ModelAdmin):
    form = ModelForm  # the shared text rule, as on every page
    def save_model(self, request, obj, form, change):
        services.directory_object_saved(actor=request.user, instance=obj)

    def delete_model(self, request, obj):
        services.directory_object_deleted(actor=request.user, instance=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.directory_object_deleted(actor=request.user, instance=obj)

    def save_related(self, request, form, formsets, change):
        for name in form._meta.fields or []:
            field = form.instance._meta.get_field(name)
            if field.many_to_many and name in form.cleaned_data:
                services.directory_related_set(
                    actor=request.user, instance=form.instance, field_name=name,
                    objects=list(form.cleaned_data[name]))
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            services.directory_object_saved(actor=request.user, instance=obj)
        for obj in formset.deleted_objects:
            services.directory_object_deleted(actor=request.user, instance=obj)


@admin.register(Unit)
class UnitAdmin(ServiceAdmin):
    list_display = ["short_name", "name", "kind", "duty_phone", "order"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "short_name", "code", "duty_phone"]
    fields = ["code", "name", "short_name", "kind", "duty_phone", "duties", "plan_section",
              "is_demo", "order"]


class HoldingInline(admin.TabularInline):
    model = PositionHolding
    extra = 1


@admin.register(Person)
class PersonAdmin(ServiceAdmin):
    list_display = ["name", "unit", "title", "mobile", "office_phone", "user"]
    list_filter = ["unit__kind", "holdings__position"]
    search_fields = ["name", "mobile", "office_phone", "unit__name", "unit__short_name"]
    autocomplete_fields = ["unit", "user"]
    fields = ["unit", "name", "title", "mobile", "office_phone", "user"]
    inlines = [HoldingInline]


@admin.register(Position)
class PositionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Authority comes from the plan (directory/authority.py, loaded by load_plan): the
    positions and their permissions are shown here, not edited."""

    list_display = ["name", "code", "held_by_plan", "plan_section"]
    filter_horizontal = ["permissions"]


@admin.register(TaskGroup)
class TaskGroupAdmin(ServiceAdmin):
    list_display = ["name", "lead_unit", "order"]
    fields = ["code", "name", "order", "lead_unit", "member_units", "other_members", "duties"]
    filter_horizontal = ["member_units"]


@admin.register(DutyShift)
class DutyShiftAdmin(ServiceAdmin):
    list_display = ["unit", "person", "starts_at", "ends_at", "is_leader"]
    list_filter = ["unit", "is_leader"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["person"]
