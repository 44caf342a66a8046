"""{% load figures %}: figures exactly as entered, in the reader's language
(zezhou_heat.figures): {{ incident.direct_loss|money }} → 280万元 / 2,800,000 yuan."""

from django import template

from zezhou_heat import figures

register = template.Library()

register.filter("money", figures.money)
register.filter("households", figures.households)
register.filter("area", figures.area)
register.filter("amount", figures.amount)
