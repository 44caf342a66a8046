"""The response panel of the incident page, composed in the template so that the incidents
app, a floor below, never imports the response app."""

from django import template

from response import authority
from response.choices import ResponseLevel
from response.views import response_panel as panel_context

register = template.Library()


@register.inclusion_tag("response/_panel.html", takes_context=True)
def response_panel(context, incident):
    return {**context.flatten(), **panel_context(context["request"].user, incident)}


@register.simple_tag
def level_change_choices(response, user):
    """The levels `user` may change `response` to (`allowed`: value, label), and who may
    change it to each of the others (`refused`: sentences)."""
    allowed = authority.may_change_to(response, user)
    return {
        "allowed": [(level.value, level.label) for level in allowed],
        "refused": [authority.who_may_change_to(response, level) for level in ResponseLevel
                    if level != response.level and level not in allowed],
    }
