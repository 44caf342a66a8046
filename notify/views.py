from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from notify import ack_links, board, selectors
from zezhou_heat.errors import StateConflict
from zezhou_heat.permissions import VIEW_DELIVERIES, VIEW_OUTBOX
from zezhou_heat.proxies import client_address

ROWS = 50


@permission_required(VIEW_OUTBOX, raise_exception=True)
def outbox(request):
    """What the outbox backend took instead of a gateway (the quick start, the demo): the
    office's and the administrators' to read."""
    page_of = selectors.outbox(request.user)
    page = Paginator(page_of.messages, ROWS).get_page(request.GET.get("page"))
    return render(request, "notify/outbox.html", {
        "page": page, "rows": list(page_of.rows(page.object_list)), "whole": page_of.whole})


@permission_required(VIEW_DELIVERIES, raise_exception=True)
def deliveries(request):
    """The delivery board: per message, who was sent what, through which channel, when, and
    what became of it (the office's, the leaders' and the administrators')."""
    found, rows_of = board.deliveries(request.GET), board.Board(request.user)
    page = Paginator(found.qs, ROWS).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notify/deliveries.html", {
        "filter": found, "page": page, "query": query.urlencode(),
        "rows": list(rows_of.rows(page.object_list)), "whole": rows_of.whole,
        "unreached": board.unreached(found),
    }, status=200 if found.is_valid() else 400)


@permission_required(VIEW_DELIVERIES, raise_exception=True)
def deliveries_export(request):
    """The filtered board as an Excel workbook (a filter that does not fit: the page says
    which, nothing is exported)."""
    found = board.deliveries(request.GET)
    if not found.is_valid():
        return deliveries(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        board.to_xlsx(request.user, found.qs),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="deliveries-{stamp}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
def acknowledge(request, code):
    """The page a notice's one-tap link opens, for a person who is not logged in. GET shows
    the notice and the 确认收到 button and never acknowledges (chat apps fetch links to preview
    them); the button POSTs. An unknown code says only that the link is not valid."""
    address = client_address(request)
    if ack_links.too_many_misses(address):
        return render(request, "notify/ack.html", {"refused": "limited"}, status=429)
    link = ack_links.find(code)
    if link is None:
        ack_links.miss_recorded(address)
        return render(request, "notify/ack.html", {"refused": "unknown"}, status=404)
    status, done, error = 200, False, ""
    if request.method == "POST":
        try:
            ack_links.acknowledged_by_link(link=link)
            done = True
        except (StateConflict, PermissionDenied) as refused:
            status = 403 if isinstance(refused, PermissionDenied) else 409
            error = " ".join(getattr(refused, "messages", None) or [str(refused)])
        link = ack_links.find(code)
    notice = link.notice
    return render(request, "notify/ack.html", {
        "link": link, "notice": notice, "response": notice.response,
        "incident": notice.response.incident, "state": ack_links.state_of(link),
        "done": done, "error": error,
    }, status=status)
