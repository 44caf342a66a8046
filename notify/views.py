from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import render

from notify import selectors
from zezhou_heat.permissions import VIEW_OUTBOX

ROWS = 50


@permission_required(VIEW_OUTBOX, raise_exception=True)
def outbox(request):
    """What the outbox backend took instead of a gateway (the quick start, the demo): the
    office's and the administrators' to read."""
    page_of = selectors.outbox(request.user)
    page = Paginator(page_of.messages, ROWS).get_page(request.GET.get("page"))
    return render(request, "notify/outbox.html", {
        "page": page, "rows": list(page_of.rows(page.object_list)), "whole": page_of.whole})
