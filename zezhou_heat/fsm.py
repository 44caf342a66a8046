"""Checking a django-fsm transition in the order users expect: first authority (403), then
state (409). django-fsm's own has_transition_perm answers False for both, and does not check
authority at all unless asked."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django_fsm import FSMFieldMixin, can_proceed, has_transition_perm

from zezhou_heat.errors import StateConflict


def check_transition(bound_method, actor, *, state_label, unmet_message=None,
                     state_message=None):
    """Raise PermissionDenied when no source state of the transition would be allowed to the
    actor, StateConflict when the object is in the wrong state or a condition is unmet. The
    refusal names who may act (`refusal`); `state_message` may say more than the state's name
    (who decided it, and when)."""
    instance = bound_method.__self__
    transitions = bound_method._django_fsm.transitions.values()
    if not any(_may(actor, transition.permission, instance) for transition in transitions):
        raise PermissionDenied(refusal(instance, bound_method.__name__))
    if not can_proceed(bound_method, check_conditions=False):
        raise StateConflict(state_message or _("Not possible while it is “%(state)s”.") % {
            "state": state_label})
    if not can_proceed(bound_method):
        raise StateConflict(unmet_message or _("The conditions for this step are not met."))
    if not has_transition_perm(bound_method, actor):  # checks conditions too, hence after
        raise PermissionDenied(refusal(instance, bound_method.__name__))


def refusal(instance, action):
    """Why not, naming who may: the model's `who_may(action)`, where it has one."""
    who_may = getattr(instance, "who_may", None)
    return who_may(action) if who_may else _("Your positions do not allow this step.")


def _may(actor, permission, instance):
    if permission is None:
        return True
    if callable(permission):
        return permission(instance, actor)
    return actor.has_perm(permission)


def allowed_transitions(instance, user):
    """The names of the transitions `user` may run on `instance` now: django-fsm's available
    user transitions (the state is a source, the conditions hold, the permission, callable or
    not, allows it) of every FSM field of the model. What decides which buttons a page shows."""
    names = set()
    for field in instance._meta.concrete_fields:
        if isinstance(field, FSMFieldMixin):
            available = getattr(instance, f"get_available_user_{field.name}_transitions")
            names.update(transition.name for transition in available(user))
    return frozenset(names)


def refused_transitions(instance, user):
    """The transitions the state allows now that `user`'s authority does not, with who may
    take each, in words: what a page writes where the button would be."""
    refused = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, FSMFieldMixin):
            for transition in getattr(instance, f"get_available_{field.name}_transitions")():
                if not transition.has_perm(instance, user):
                    refused[transition.name] = refusal(instance, transition.name)
    return refused
