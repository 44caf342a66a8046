from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from zezhou_heat.errors import StateConflict


def run_action(request, action, back):
    """Run a service for a page: a refusal of authority is a 403 page (PermissionDenied
    propagates), a wrong state a 409 page, bad input a message on the page it came from."""
    try:
        action()
    except StateConflict as error:
        return render(request, "409.html", {"message": " ".join(error.messages),
                                            "back": back}, status=409)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)
