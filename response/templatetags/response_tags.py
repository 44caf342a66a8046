"""The response panel of the incident page, composed in the template so that the incidents
app, a floor below, never imports the response app."""

from django import template

from response.views import response_panel as panel_context

register = template.Library()


@register.inclusion_tag("response/_panel.html", takes_context=True)
def response_panel(context, incident):
    return {**context.flatten(), **panel_context(context["request"].user, incident)}
