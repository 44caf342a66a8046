from base64 import b64encode
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from directory import selectors, services, tabular, two_factor
from directory.choices import UnitKind
from directory.filters import PersonFilter
from directory.forms import (
    CountyMapForm,
    ImportForm,
    PersonForm,
    ShiftForm,
    TwoFactorCodeForm,
)
from directory.importing import validate_rows
from directory.models import CountyMap, Person, Unit
from timeline.selectors import events_for_subject
from zezhou_heat.forms import add_service_errors
from zezhou_heat.permissions import (
    MANAGE_ACCOUNTS,
    MANAGE_COUNTY_MAP,
    MANAGE_DIRECTORY,
    VIEW_DIRECTORY,
)
from zezhou_heat.views import action_view, safe_next

PAGE_SIZE = 50
IMPORT_SESSION_KEY = "directory_import_rows"
HANDOVER = timedelta(hours=8, minutes=30)  # the usual duty hand-over time

may_view = permission_required(VIEW_DIRECTORY, raise_exception=True)
may_manage = permission_required(MANAGE_DIRECTORY, raise_exception=True)


@login_required
@may_view
def directory_page(request):
    people = PersonFilter(request.GET, queryset=selectors.people(request.user))
    page = Paginator(people.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": people, "page": page, "query": query.urlencode()}
    if request.htmx:
        return render(request, "directory/_people_table.html", context)
    context.update(
        member_units=selectors.units(UnitKind.MEMBER),
        task_groups=selectors.task_groups(),
        on_duty=selectors.shifts_on_duty(),
    )
    return render(request, "directory/directory.html", context)


@login_required
@may_view
def directory_export(request, fmt):
    people = PersonFilter(request.GET, queryset=selectors.people(request.user)).qs
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = HttpResponse(tabular.to_csv(people), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            tabular.to_xlsx(people, _("Contact directory")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="directory-{stamp}.{fmt}"'
    return response


@login_required
@may_manage
def directory_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            raw_rows = tabular.read_xlsx(form.cleaned_data["file"])
        except tabular.UnreadableFile as error:
            form.add_error("file", str(error))
        else:
            rows, errors = validate_rows(raw_rows)
            context.update(rows=rows, errors=errors, previewed=True)
            if not errors:
                request.session[IMPORT_SESSION_KEY] = raw_rows
    return render(request, "directory/import.html", context)


@login_required
@may_manage
@require_POST
def directory_import_confirm(request):
    raw_rows = request.session.pop(IMPORT_SESSION_KEY, None)
    if not raw_rows:
        messages.error(request, _("Nothing to import: upload the file again."))
        return redirect("directory:import")
    rows, errors = validate_rows(raw_rows)
    if errors:
        # The directory changed between preview and confirmation.
        return render(request, "directory/import.html",
                      {"form": ImportForm(), "rows": rows, "errors": errors, "previewed": True})
    try:
        services.people_imported(actor=request.user, rows=rows)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("directory:import")
    messages.success(request, _("%(count)s rows imported.") % {"count": len(rows)})
    return redirect("directory:index")


@login_required
@may_manage
def person_edit(request, pk=None):
    person = get_object_or_404(Person, pk=pk) if pk else Person()
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_saved(actor=request.user, person=form.instance,
                                  positions=form.cleaned_data["positions"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(person)s saved.") % {"person": person.name})
            return redirect("directory:index")
    return render(request, "directory/person_form.html", {"form": form, "person": person})


@login_required
@may_view
def county_map_page(request):
    """The townships with their official division codes, the map in use, and for the
    administrator the upload that replaces the schematic with official boundaries."""
    form = None
    if request.user.has_perm(MANAGE_COUNTY_MAP) or request.method == "POST":
        form = CountyMapForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.county_map_uploaded(actor=request.user, source=form.cleaned_data["source"],
                                         content=form.cleaned_data["file"].read())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The county map now shows the uploaded boundaries."))
            return redirect("directory:county_map")
    return render(request, "directory/county_map.html", {
        "form": form,
        "townships": selectors.units(UnitKind.TOWNSHIP).select_related("merged_into"),
        "uploads": CountyMap.objects.defer("geojson").select_related("uploaded_by")[:10],
    }, status=400 if form is not None and form.errors else 200)


@login_required
@may_view
def county_map_geojson(request, pk):
    """An uploaded map's boundaries (static/js/map.js fetches them once per page)."""
    county_map = get_object_or_404(CountyMap, pk=pk)
    response = JsonResponse(county_map.geojson)
    response["Cache-Control"] = "private, max-age=86400"  # an upload never changes
    return response


@login_required
@may_view
def unit_detail(request, code):
    unit = get_object_or_404(selectors.units(), code=code)
    return render(request, "directory/unit_detail.html", {
        "unit": unit,
        "people": selectors.people(request.user).filter(unit=unit),
        "on_duty": selectors.shifts_on_duty().filter(unit=unit),
        "events": events_for_subject(unit).reverse()[:20],
    })


@login_required
@may_view
def roster_page(request):
    day = _day_from(request.GET.get("day"))
    unit = Unit.objects.filter(code=request.GET.get("unit")).first()
    form = None
    if request.user.has_perm(MANAGE_DIRECTORY):
        start = _start_of(day)
        form = ShiftForm(initial={
            "unit": unit,
            "starts_at": start + HANDOVER,
            "ends_at": start + timedelta(days=1) + HANDOVER,
        })
    return render(request, "directory/roster.html", _roster_context(day, unit, form))


@login_required
@may_manage
@require_POST
def shift_create(request):
    form = ShiftForm(request.POST)
    if form.is_valid():
        try:
            shift = services.shift_scheduled(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Shift added."))
            day = timezone.localtime(shift.starts_at).date()
            return redirect(f"{reverse('directory:roster')}?day={day:%Y-%m-%d}")
    context = _roster_context(timezone.localdate(), None, form)
    return render(request, "directory/roster.html", context, status=400)


def _roster_context(day, unit, form):
    start = _start_of(day)
    return {
        "day": day,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "unit": unit,
        "units": selectors.units().exclude(kind=UnitKind.TOWNSHIP),
        "shifts": selectors.shifts_between(start, start + timedelta(days=1), unit),
        "on_duty_by_unit": selectors.on_duty_by_unit(),
        "form": form,
    }


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _day_from(text):
    try:
        return datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return timezone.localdate()


# --- two-factor sign-in (directory.two_factor; README "Two-factor sign-in") ------------------


def _checked_next(request):
    """Where to go once the second factor is given: `next` (posted, or in the address) when
    it is a page of this site, else the start page."""
    return safe_next(request, reverse("home"))


def _verified(request, device):
    """The session has given its second factor: bound to `device`, under a new session key."""
    otp_login(request, device)
    request.session.cycle_key()


@never_cache
@login_required
def two_factor_verify(request):
    """After the password: the 6-digit code, or a recovery code (each works once)."""
    user, target = request.user, _checked_next(request)
    step = None if user.is_verified() else two_factor.next_step(user)
    if step is None:
        return redirect(target)
    if step == two_factor.ENROL:
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': target})}")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify_code(user, form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                left = two_factor.recovery_codes_left(user)
                messages.warning(request, _(
                    "You signed in with a recovery code; %(left)s left. If your phone is lost, "
                    "ask an administrator to reset your second factor.") % {"left": left})
            return redirect(target)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": target})


@never_cache
@login_required
def two_factor_setup(request):
    """Enrol an authenticator app: scan the code (or type the secret), confirm with a code it
    shows, receive the recovery codes once. Required of privileged users where
    TWO_FACTOR_REQUIRED; open to anyone without a device."""
    user, target = request.user, _checked_next(request)
    if two_factor.totp_device(user) is not None:
        if user.is_verified():
            messages.info(request, _("Two-factor sign-in is already set up for this account."))
            return redirect(target)
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': target})}")
    key = request.session.get(two_factor.SESSION_KEY) or two_factor.new_key()
    request.session[two_factor.SESSION_KEY] = key
    form = TwoFactorCodeForm(request.POST or None)
    form.fields["code"].help_text = _("The 6 digits the app shows now for this account.")
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.two_factor_enrolled(actor=user, key=key,
                                                         code=form.cleaned_data["code"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            request.session.pop(two_factor.SESSION_KEY, None)
            _verified(request, device)
            return render(request, "registration/two_factor_codes.html",
                          {"codes": codes, "next": target})
    device = two_factor.enrolment_device(user, key)
    url = device.config_url
    return render(request, "registration/two_factor_setup.html", {
        "form": form, "next": target, "otpauth_url": url, "secret": two_factor.secret_text(device),
        "qr": "data:image/svg+xml;base64," + b64encode(two_factor.qr_svg(url)).decode(),
        "required": two_factor.enforced_for(user),
    })


@login_required
@permission_required(MANAGE_ACCOUNTS, raise_exception=True)
def two_factor_accounts(request):
    """The administrators' page: who must give a second factor, who has one, and a reset for a
    lost device (directory.services.two_factor_reset)."""
    return render(request, "directory/two_factor_accounts.html", {
        "accounts": two_factor.accounts_overview(),
        "required": settings.TWO_FACTOR_REQUIRED,
    })


two_factor_reset = action_view(
    services.two_factor_reset, subject="account",
    load=lambda request, pk: get_object_or_404(get_user_model(), pk=pk),
    back=lambda account: reverse("two_factor_accounts"))
