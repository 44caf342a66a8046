from django.core.exceptions import ValidationError


class StateConflict(ValidationError):
    """The action does not apply in the object's current state: a page shows the message,
    the API answers 409 Conflict."""
