"""{% load actions %}: which action buttons a person sees.

    {% with actions=warning|actions_for:user %}
      {% if "approve" in actions %}<form …>…</form>{% endif %}
    {% endwith %}

Where the state allows a step that the person's authority does not, the page says who may
take it, in place of the button (`obj|refused_for:user`: the step's name → the sentence):

    {% with refused=response|refused_for:user %}
      {% if "approve" in refused %}<p class="who-may">{{ refused.approve }}</p>{% endif %}
    {% endwith %}

A refused form is shown again with what was typed (zezhou_heat.views.refused): its inputs
take `{% kept action "reason" %}` as their value (`kept_values` for a list, `kept_here` to
open what holds the form), empty on any other request or for any other form.

The names are the model's own answer, `obj.actions_for(user)` (its FSM transitions the user
may run now, plus its plain writes), or else the FSM transitions alone
(zezhou_heat.fsm.allowed_transitions). Templates never restate states or permissions."""

from django import template

from zezhou_heat.fsm import allowed_transitions, refused_transitions

register = template.Library()


@register.filter
def actions_for(obj, user):
    own = getattr(obj, "actions_for", None)
    return own(user) if own is not None else allowed_transitions(obj, user)


@register.filter
def refused_for(obj, user):
    return refused_transitions(obj, user)


@register.simple_tag(takes_context=True)
def kept(context, action, name):
    form = getattr(context.get("request"), "kept", None)
    return form.value(action, name) if form else ""


@register.simple_tag(takes_context=True)
def kept_values(context, action, name):
    form = getattr(context.get("request"), "kept", None)
    return form.values(action, name) if form else []


@register.simple_tag(takes_context=True)
def kept_here(context, action):
    form = getattr(context.get("request"), "kept", None)
    return bool(form and form.action == action)
