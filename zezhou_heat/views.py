import copy
import sys
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.defaults import page_not_found as default_page_not_found
from django.views.defaults import server_error as default_server_error

from zezhou_heat import confirmations
from zezhou_heat.errors import StateConflict


def safe_next(request, default):
    """Where the page wants to return (`next`, posted or in the address), when that is a page
    of this site; `default` otherwise. Never an address on another host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def number_in_query(value, *, digits=18):
    """A non-negative number typed into an address (`?seq=`, an id), or None: ASCII digits
    only (str.isdigit also takes "²" and "١٢"), at most `digits` of them (a database id)."""
    if value and len(value) <= digits and value.isascii() and value.isdigit():
        return int(value)
    return None


def page_action(request, service, form_class=None, *, back, **subject):
    """The one way a page runs a service. The POST is checked by `form_class`; the service gets
    the actor, the subject (e.g. `response=…`) and the form's cleaned data only. Done: a
    confirmation of what it did (the words of the timeline event it appended), and back to a
    checked `next`, or to `back`. Refused (bad input 400, no authority 403, the wrong state
    409): the page it came from again, with the reason and what was typed (`refused`)."""
    back = safe_next(request, back)
    form, fields = None, {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            return refused(request, back, _error_text(form.errors, form, subject), 400)
        fields = form.cleaned_data
    try:
        with confirmed(request):
            service(actor=request.user, **subject, **fields)
    except PermissionDenied as error:
        return refused(request, back, str(error), 403)
    except StateConflict as error:
        return refused(request, back, " ".join(error.messages), 409)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {
            NON_FIELD_ERRORS: error.messages}
        return refused(request, back, _error_text(errors, form, subject), 400)
    return redirect(back)


@contextmanager
def confirmed(request):
    """For a page that writes outside `page_action` (a form page): the same confirmation, once
    the block has run without an error."""
    with confirmations.collected() as done:
        yield
    if done:
        messages.success(request, done[-1])


def refused(request, back, message, status):
    """The page the form came from (`back`), rendered again with the reason as a message and
    the typed values kept (`{% kept %}`), answering `status`. Where that page cannot be shown
    here, the 403 or 409 page with the reason and a way back; bad input goes back with the
    message."""
    messages.error(request, message)
    page = _page_again(request, back)
    if page is not None:
        page.status_code = status
        return page
    if status == 400:
        return redirect(back)
    template = "403.html" if status == 403 else "409.html"  # the message above says why
    return render(request, template, {"back": back}, status=status)


def _page_again(request, back):
    """`back` rendered for this request as a GET, with the POST kept as `request.kept`; None
    when `back` is no page of this site that answers a GET with a page."""
    address = urlsplit(back)
    try:
        match = resolve(address.path)
    except Resolver404:
        return None
    again = copy.copy(request)
    again.method, again.path, again.path_info = "GET", address.path, address.path
    again.GET, again.POST = QueryDict(address.query), QueryDict()
    again.kept, again.resolver_match = Kept(request.path, request.POST), match
    try:
        answer = match.func(again, *match.args, **match.kwargs)
    except (PermissionDenied, Http404):  # a page this user may not see
        return None
    if hasattr(answer, "render") and not answer.is_rendered:
        answer.render()
    if answer.status_code != 200 or answer.streaming:
        return None
    return answer


class Kept:
    """What a refused form had typed: its `action` and the posted values."""

    def __init__(self, action, data):
        self.action, self.data = action, data

    def value(self, action, name):
        return self.data.get(name, "") if action == self.action else ""

    def values(self, action, name):
        return self.data.getlist(name) if action == self.action else []


def action_view(service, form_class=None, *, subject, load, back):
    """A login-required, POST-only page action on one object: `load(request, pk)` finds it
    (404 when the user may not see it), `back(obj)` is where to return by default."""

    @login_required
    @require_POST
    def view(request, pk):
        obj = load(request, pk)
        return page_action(request, service, form_class, back=back(obj), **{subject: obj})

    return view


def _error_text(errors, form, subject):
    """One message: each field as "Field: what is wrong", named as the form (or else the
    subject's model) names it."""
    parts = []
    for name, texts in errors.items():
        label = _label(name, form, subject)
        text = " ".join(str(t) for t in texts)
        parts.append(_("%(field)s: %(errors)s") % {"field": label, "errors": text}
                     if label else text)
    return " ".join(parts)


def _label(name, form, subject):
    if name == NON_FIELD_ERRORS:
        return ""
    if form is not None and name in form.fields:
        return form.fields[name].label or name
    for obj in subject.values():
        try:
            return obj._meta.get_field(name).verbose_name
        except (AttributeError, FieldDoesNotExist):
            continue
    return name



def page_not_found(request, exception):
    """handler404: under /api/, an address no route matches answers as the API's own 404
    does (JSON with `detail`), not with the HTML page; elsewhere templates/404.html."""
    if request.path.startswith("/api/"):
        from rest_framework.exceptions import NotFound  # DRF's wording, translated by DRF

        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404,
                            json_dumps_params={"ensure_ascii": False})
    return default_page_not_found(request, exception)


def server_error(request):
    """handler500: when the database does not answer (down, unreachable, a timeout), a 503
    that says so and reads nothing from the database, as JSON for the API; else Django's 500."""
    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return default_server_error(request)
    message = _("The database does not answer. Nothing was saved by this request. Try again in "
                "a minute; if it lasts, report by phone and record on paper.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=503, headers={"Retry-After": "60"})
    page = render_to_string("503.html")  # no request: its context processors read the database
    return HttpResponse(page, status=503, headers={"Retry-After": "60"})
