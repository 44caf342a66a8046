import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from zezhou_heat import text
from zezhou_heat.views import page_not_found

SESSION_AUTH_AT = "auth_at"
SESSION_SEEN_AT = "seen_at"
SEEN_WRITE_INTERVAL = 60


class SessionLimitsMiddleware:
    """Ends a signed-in session after SESSION_IDLE_SECONDS without a request, and after
    SESSION_ABSOLUTE_SECONDS in all, whatever the activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and self._expired(request.session):
            logout(request)
            if request.path.startswith("/api/"):
                return self.get_response(request)
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _expired(session):
        now = int(time.time())
        session.setdefault(SESSION_AUTH_AT, now)
        if limits_passed(session, now):
            return True
        seen_at = session.get(SESSION_SEEN_AT, now)
        if SESSION_SEEN_AT not in session or now - seen_at >= SEEN_WRITE_INTERVAL:
            session[SESSION_SEEN_AT] = now
        return False


def limits_passed(session, now=None):
    """Whether this session (a mapping) is past the idle or the absolute limit; read only.
    Pages and the API check it on every request, the live socket on connect and every
    LIVE_SESSION_CHECK_SECONDS (command_room.consumers)."""
    now = int(time.time()) if now is None else now
    auth_at, seen_at = session.get(SESSION_AUTH_AT), session.get(SESSION_SEEN_AT)
    if auth_at is not None and now - auth_at > settings.SESSION_ABSOLUTE_SECONDS:
        return True
    return seen_at is not None and now - seen_at > settings.SESSION_IDLE_SECONDS


class ChosenLanguageMiddleware:
    """Simplified Chinese unless the user chose another language (the language cookie set
    by Django's set_language view). The browser's Accept-Language is not consulted: a
    county office PC with an English browser still gets the Chinese interface."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ControlCharactersMiddleware:
    """The shared text rule (zezhou_heat.text) for what arrives in the address: a control
    character (NUL above all, which PostgreSQL refuses in any text and so turned a filter or
    a code into a 500) in the path or in a query parameter is a 400 naming the parameter
    (`path` for the path), before any view looks it up. Bodies are checked by the forms and
    serializers, field by field."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = {}
        if found := text.refused_in(request.path_info):
            errors["path"] = found
        for key, values in request.GET.lists():
            if found := text.refused_anywhere([key, *values]):
                errors[text.printable(key)] = found
        if errors:
            return self._refused(request, errors)
        return self.get_response(request)

    @staticmethod
    def _refused(request, errors):
        messages = {name: [str(text.MESSAGE) % {"found": ", ".join(found)}]
                    for name, found in errors.items()}
        if request.path_info.startswith("/api/"):
            return JsonResponse(messages, status=400, json_dumps_params={"ensure_ascii": False})
        lines = [_("%(field)s: %(errors)s") % {"field": name, "errors": " ".join(texts)}
                 for name, texts in messages.items()]
        return HttpResponseBadRequest("\n".join(lines), content_type="text/plain; charset=utf-8")


class NotFoundPageMiddleware:
    """A page a view does not show this user (an incident of another township, say) answers
    the product's 404 page (handler404) even with DEBUG on, never Django's debug page, which
    lists the site's addresses. An address no route takes never reaches a view: with DEBUG on
    it keeps the debug page, for developers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
