from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.choices import PositionCode, UnitKind
from directory.validators import validate_phone
from zezhou_heat.permissions import declared_for


class UnitQuerySet(models.QuerySet):
    def townships(self):
        """The county's townships today: not those merged into another (README "Townships")."""
        return self.filter(kind=UnitKind.TOWNSHIP, merged_into__isnull=True)


class Unit(models.Model):
    """The headquarters, its office, member units (§2.1), townships and heating enterprises."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=50)
    kind = models.CharField(_("type"), max_length=16, choices=UnitKind.choices, db_index=True)
    duties = models.JSONField(_("duties"), default=list, blank=True)
    duty_phone = models.CharField(
        _("24-hour duty phone"), max_length=32, blank=True, validators=[validate_phone]
    )
    plan_section = models.CharField(_("plan section"), max_length=16, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    # Townships: the official division code (National Bureau of Statistics, 12 digits), the
    # seat of the township government (WGS 84), and, for a township abolished and merged
    # into another, that other: its incidents stay, it is no longer offered for new ones.
    division_code = models.CharField(
        _("official division code"), max_length=12, blank=True,
        validators=[RegexValidator(r"^\d{12}$", _("Enter the 12-digit division code."))])
    seat_latitude = models.FloatField(
        _("seat latitude"), null=True, blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)])
    seat_longitude = models.FloatField(
        _("seat longitude"), null=True, blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)])
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_townships", limit_choices_to={"kind": UnitKind.TOWNSHIP})
    # 分管领导: the next person a notice this unit leaves unacknowledged goes to
    # (notify.escalation); none, and it goes straight to the office director.
    leader_in_charge = models.ForeignKey(
        "Person", verbose_name=_("leader in charge"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="units_led",
        help_text=_("Told when the unit leaves an activation notice unacknowledged."))

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        permissions = declared_for("directory")
        constraints = [
            models.UniqueConstraint(fields=["division_code"], condition=~Q(division_code=""),
                                    name="unit_division_code_unique"),
        ]

    def __str__(self):
        return self.short_name or self.name


class Position(models.Model):
    """A position carrying authority. Its permissions are what the code checks."""

    code = models.CharField(
        _("code"), max_length=32, unique=True, choices=PositionCode.choices
    )
    name = models.CharField(_("name"), max_length=50)
    held_by_plan = models.CharField(_("held by (plan)"), max_length=200, blank=True)
    plan_section = models.CharField(_("plan section"), max_length=16, blank=True)
    permissions = models.ManyToManyField(
        Permission, verbose_name=_("permissions"), blank=True, related_name="positions"
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self):
        return self.get_code_display()


class Person(models.Model):
    """An entry of the contact directory (§8.3 通讯录); may have a login account."""

    name = models.CharField(_("full name"), max_length=50)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="people"
    )
    title = models.CharField(_("title"), max_length=50, blank=True)
    mobile = models.CharField(
        _("mobile phone"), max_length=32, blank=True, validators=[validate_phone]
    )
    office_phone = models.CharField(
        _("office phone"), max_length=32, blank=True, validators=[validate_phone]
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    positions = models.ManyToManyField(
        Position, verbose_name=_("positions"), through="PositionHolding", blank=True
    )

    class Meta:
        ordering = ["unit__order", "unit__code", "name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["mobile"], condition=~Q(mobile=""), name="person_mobile_unique"
            ),
            models.UniqueConstraint(fields=["unit", "name"], name="person_unit_name_unique"),
        ]

    def __str__(self):
        return f"{self.name}（{self.unit}）"


class PositionHolding(models.Model):
    """A person holds a position, optionally for one unit: the liaison of a member unit,
    the officer of a township, the reporter of an enterprise."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="holdings"
    )
    position = models.ForeignKey(
        Position, verbose_name=_("position"), on_delete=models.PROTECT, related_name="holdings"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("for unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="position_holdings",
    )

    class Meta:
        verbose_name = _("position held")
        verbose_name_plural = _("positions held")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "position", "unit"], condition=Q(unit__isnull=False),
                name="holding_unique_for_unit"),
            models.UniqueConstraint(
                fields=["person", "position"], condition=Q(unit__isnull=True),
                name="holding_unique_county_wide"),
        ]

    def __str__(self):
        return f"{self.person.name}: {self.position}" + (f"（{self.unit}）" if self.unit else "")


class TaskGroup(models.Model):
    """One of the eight working groups of §2.6."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="led_groups"
    )
    member_units = models.ManyToManyField(
        Unit, verbose_name=_("member units"), related_name="task_groups", blank=True
    )
    other_members = models.JSONField(_("other members"), default=list, blank=True)
    duties = models.JSONField(_("duties"), default=list, blank=True)

    class Meta:
        ordering = ["order"]
        verbose_name = _("task group")
        verbose_name_plural = _("task groups")

    def __str__(self):
        return self.name


class DutyShiftQuerySet(models.QuerySet):
    def on_duty_at(self, moment):
        return self.filter(starts_at__lte=moment, ends_at__gt=moment)

    def on_duty_now(self):
        return self.on_duty_at(timezone.now())


class DutyShift(models.Model):
    """A stretch of 24-hour duty (§6.3) at one unit, held by one person."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="shifts"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person on duty"), on_delete=models.PROTECT, related_name="shifts"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    is_leader = models.BooleanField(_("shift leader"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = DutyShiftQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "unit__order"]
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["unit", "starts_at", "ends_at"])]

    def __str__(self):
        return f"{self.unit} {self.person.name} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The shift must end after it starts.")
        if self.unit_id and self.person_id and self.person.unit_id != self.unit_id:
            errors["person"] = _("%(person)s does not belong to %(unit)s.") % {
                "person": self.person.name, "unit": self.unit}
        if errors:
            raise ValidationError(errors)


class CountyMap(models.Model):
    """Township boundaries (GeoJSON) an administrator uploaded in place of the schematic map;
    the newest is the one shown (directory.services.county_map_uploaded)."""

    source = models.CharField(_("source"), max_length=200)
    geojson = models.JSONField(_("township boundaries (GeoJSON)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("county map")
        verbose_name_plural = _("county maps")

    def __str__(self):
        return self.source
