from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from directory import two_factor

# What a signed-in user who still owes a second factor may open: the steps themselves, the
# sign-in and sign-out pages and the language menu.
OPEN_URL_NAMES = ("two_factor_verify", "two_factor_setup", "login", "logout", "set_language")


class TwoFactorMiddleware:
    """After django_otp's OTPMiddleware: a signed-in user whose session has not given the
    second factor it owes (directory.two_factor.next_step) reaches only the verification and
    enrolment pages, the language menu and sign-out. Any other page redirects to the step
    (then back); the API answers 403. Token-authenticated API calls carry no session: the
    token endpoint asks for the code instead (directory.api.ObtainTokenView)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            step = two_factor.next_step(user)
            if step is not None and request.path_info not in self.open_paths():
                return self._refused(request, step)
        return self.get_response(request)

    def open_paths(self):
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in OPEN_URL_NAMES}
        return self._open_paths

    @staticmethod
    def _refused(request, step):
        if request.path_info.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Two-factor sign-in is not complete: give the code from your "
                             "authenticator app on the sign-in page first.")},
                status=403, json_dumps_params={"ensure_ascii": False})
        name = "two_factor_verify" if step == two_factor.VERIFY else "two_factor_setup"
        return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
