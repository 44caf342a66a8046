"""{% load actions %}: which action buttons a person sees.

    {% with actions=warning|actions_for:user %}
      {% if "approve" in actions %}<form …>…</form>{% endif %}
    {% endwith %}

The names are the model's own answer, `obj.actions_for(user)` (its FSM transitions the user
may run now, plus its plain writes), or else the FSM transitions alone
(zezhou_heat.fsm.allowed_transitions). Templates never restate states or permissions."""

from django import template

from zezhou_heat.fsm import allowed_transitions

register = template.Library()


@register.filter
def actions_for(obj, user):
    own = getattr(obj, "actions_for", None)
    return own(user) if own is not None else allowed_transitions(obj, user)
