from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from command_room.brief import situation_brief
from command_room.brief_docx import situation_brief_docx
from command_room.panels import panels_html
from command_room.screens import ROOM, SCREENS, UNIT, WALL
from command_room.services import situation_brief_issued
from directory.choices import PositionCode
from directory.selectors import held_units
from early_warnings import authority as warning_authority
from early_warnings import selectors as warning_selectors
from response import authority as response_authority
from response import selectors as response_selectors
from zezhou_heat.permissions import VIEW_INCIDENTS
from zezhou_heat.views import number_in_query


@login_required
def home(request):
    """Incidents first for those who see them; the directory for everyone else."""
    if request.user.has_perm(VIEW_INCIDENTS):
        return redirect("incidents:list")
    return redirect("directory:index")


@login_required
def command_room(request):
    """The command room (指挥大厅): a wall screen that stays true without a reload."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("The command room shows incidents; your positions do not."))
    return _live_page(request, SCREENS[ROOM], None, _("Command room"))


@login_required
def wall(request):
    """The command room for a 1920×1080 wall screen read from across the room: no site menu,
    no scrolling; the totals, the most urgent incidents, the rest folded into a count."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("The command room shows incidents; your positions do not."))
    return _live_page(request, SCREENS[WALL], None, _("Command room"))


@login_required
def unit_dashboard(request):
    """The same live view, narrowed to what concerns the user's member units."""
    units = held_units(request.user, PositionCode.UNIT_LIAISON)
    if not units or not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("Only member-unit liaisons have a unit dashboard."))
    return _live_page(request, SCREENS[UNIT], units, _("My unit's dashboard"))


def _live_page(request, screen, units, title):
    """The page, or with ?panels=1 only its panels (after an event, when the socket did not
    bring them): rendered once per event and audience (command_room.panels)."""
    if request.GET.get("panels"):
        return HttpResponse(panels_html(request, screen, units))
    context = screen.build(request.user, units)
    context.update(title=title)
    return render(request, "command_room/wall.html" if screen.name == WALL
                  else "command_room/live.html", context)


@login_required
def inbox(request):
    """What waits for this person's authority: response proposals and early warnings to
    approve or reject, most severe first, longest waiting first within a severity; with
    one click and a confirmation, on a phone too. An item just decided from here
    (`?decided=response-5`) keeps its place, saying how it was decided."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise Http404
    proposals = response_selectors.awaiting_decision_by(request.user)
    warnings = warning_selectors.awaiting_decision_by(request.user)
    items = [InboxItem("response", r, response_selectors.severity(r), r.incident, r.proposed_at)
             for r in proposals] + [
        InboxItem("warning", w, warning_selectors.severity(w), w.incident, w.submitted_at)
        for w in warnings] + _decided(request)
    items.sort(key=InboxItem.order)
    return render(request, "command_room/inbox.html", {
        "items": items, "proposals": proposals, "warnings": warnings,
        "waiting": any(not item.decided for item in items)})


@dataclass
class InboxItem:
    kind: str  # "response" or "warning"
    obj: object
    severity: int  # 3 Level Ⅰ / 重大以上 … 1 Level Ⅲ / 一般
    incident: object  # None for a warning tied to no incident
    since: datetime
    decided: str = ""  # how it was decided, once it was

    def order(self):
        incident = self.incident
        casualties = (-incident.deaths, -incident.serious_injuries) if incident else (0, 0)
        return (-self.severity, *casualties, self.since or timezone.now())


def _decided(request):
    """The items named by `?decided=` that were decided, with how."""
    items = []
    for ref in request.GET.getlist("decided"):
        kind, _sep, pk = ref.partition("-")
        if (pk := number_in_query(pk)) is None:
            continue
        if kind == "response":
            response = response_selectors.responses_visible_to(request.user).filter(
                pk=pk).first()
            if response and (text := response_authority.decision(response)):
                items.append(InboxItem(kind, response, response_selectors.severity(response),
                                       response.incident, response.proposed_at, text))
        elif kind == "warning":
            warning = warning_selectors.visible_to(request.user).filter(pk=pk).first()
            if warning and (text := warning_authority.decision(warning)):
                items.append(InboxItem(kind, warning, warning_selectors.severity(warning),
                                       warning.incident, warning.submitted_at, text))
    return items


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@login_required
def brief(request):
    """The situation brief (态势简报) as a printable page: the state now, for this reader."""
    if not request.user.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("A situation brief states incidents; your positions do not "
                                 "show them."))
    return render(request, "command_room/brief.html", {"brief": situation_brief(request.user)})


@login_required
@require_POST
def brief_issued(request):
    """Issue the brief: numbered and recorded on the timeline, handed over as Word."""
    state = situation_brief(request.user)
    number = situation_brief_issued(actor=request.user, brief=state)
    answer = HttpResponse(situation_brief_docx(state, number), content_type=DOCX)
    moment = timezone.localtime(state.as_of)
    answer["Content-Disposition"] = (
        f'attachment; filename="situation-brief-{number}-{moment:%Y%m%d-%H%M}.docx"')
    return answer
