"""Administrators edit the directory here too; every save goes through the directory
services, so authority is checked and the change lands on the timeline."""

import copy

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

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
    list_display = ["short_name", "name", "kind", "duty_phone", "division_code", "order"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "short_name", "code", "duty_phone", "division_code"]
    fields = ["code", "name", "short_name", "kind", "duty_phone", "duties", "plan_section",
              "is_demo", "order", "division_code", "seat_latitude", "seat_longitude",
              "merged_into", "leader_in_charge"]
    autocomplete_fields = ["leader_in_charge"]


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


class ServicePasswordForm(AdminPasswordChangeForm):
    """The admin's password form, saved by directory.services.password_reset (authority and
    the timeline) for the administrator making the request (`actor`, set per request)."""

    actor = None

    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data[
            "set_usable_password"] else None
        return services.password_reset(actor=self.actor, account=self.user, password=password)


User = get_user_model()
admin.site.unregister(User)
# django-otp's device pages would add, change and delete second factors past the services (no
# authority check, nothing on the timeline): a lost device is reset on the administrators'
# page instead (/accounts/two-factor/accounts/, directory.services.two_factor_reset).
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts, kept by the administrator through directory.services: a non-superuser never
    sees or sets the superuser and staff flags, groups or permissions (authority comes from
    positions), and cannot change a superuser's, another administrator's or a leader's
    account; every change is on the timeline."""

    ordinary_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_for_ordinary = ("last_login", "date_joined")

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.ordinary_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.readonly_for_ordinary
        return super().get_readonly_fields(request, obj)

    def get_list_filter(self, request):
        return super().get_list_filter(request) if request.user.is_superuser else ("is_active",)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.account_refusal(request.user, obj) is None

    def save_model(self, request, obj, form, change):
        services.account_saved(actor=request.user, account=obj)

    def save_related(self, request, form, formsets, change):
        if request.user.is_superuser:  # groups and permissions: only a superuser's form has them
            super().save_related(request, form, formsets, change)

    def user_change_password(self, request, id, form_url=""):
        bound = copy.copy(self)  # this request's actor, without touching the shared instance
        bound.change_password_form = type(
            "ServicePasswordForm", (ServicePasswordForm,), {"actor": request.user})
        return UserAdmin.user_change_password(bound, request, id, form_url)
