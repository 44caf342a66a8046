"""Warnings in effect as an Atom feed whose entries link their CAP 1.2 messages, the usual
way CAP is syndicated. Public: it carries only issued warnings, meant for the public."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from early_warnings import selectors
from early_warnings.notice import public_notice


class WarningsInEffectFeed(Feed):
    feed_type = Atom1Feed
    title = "泽州县供热风险预警"
    subtitle = "泽州县供热突发事件应急救援指挥部办公室发布的、正在生效的预警（CAP 1.2）"

    def link(self):
        return reverse("early_warnings:feed")

    def items(self):
        return selectors.in_effect()

    def item_title(self, warning):
        return public_notice(warning)[:80]

    def item_description(self, warning):
        return public_notice(warning)

    def item_link(self, warning):
        return reverse("early_warnings:cap", args=[warning.pk, warning.version])

    def item_updateddate(self, warning):
        return warning.revisions.last().sent_at

    def item_guid(self, warning):
        return f"warning-{warning.pk}-v{warning.version}"
