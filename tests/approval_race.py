"""Two approvers at the same moment (issue 11, defect 15), as one function run by the suite on
PostgreSQL in its own process, and on the quick start's SQLite through this module's command
line:

    python -m tests.approval_race <sqlite file> <rounds>

which migrates a fresh database at that path with the quick start's settings
(zezhou_heat.settings.local), loads the plan, races, and prints the rounds as JSON."""

import json
import os
import sys
import threading
from functools import partial

from django.db import connection


def race(*steps):
    """Each step in a thread of its own, released at the same instant; returns what each
    ended with: "ok" or the name of the exception it raised."""
    barrier = threading.Barrier(len(steps))
    outcomes = [None] * len(steps)

    def run(index, step):
        barrier.wait()
        try:
            step()
            outcomes[index] = "ok"
        except Exception as error:  # the losing approver: a state conflict
            outcomes[index] = type(error).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, step)) for i, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def approval_rounds(duty, commander, deputy, rounds):
    """Per round: a Level Ⅱ proposal, approved by the commander and the deputy at the same
    moment while the deadline sweep runs. Returns, per round, the two approvers' outcomes
    sorted, the sweep's, how many starts the timeline has and how many measures."""
    from directory.models import Unit
    from incidents.clocks import sweep_deadlines
    from response import services
    from response.models import ChecklistItem
    from tests.incident_helpers import report_incident
    from timeline.models import Event

    results = []
    for _ in range(rounds):
        incident = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
        response = services.response_proposed(actor=duty, incident=incident, level="II",
                                              reason="需要")
        approvals = race(partial(services.response_approved, actor=commander, response=response),
                         partial(services.response_approved, actor=deputy, response=response),
                         sweep_deadlines)
        results.append({
            "approvals": sorted(approvals[:2]),
            "sweep": approvals[2],
            "starts": Event.objects.filter(kind="response.started",
                                           subject_id=str(response.pk)).count(),
            "measures": ChecklistItem.objects.filter(response=response, is_measure=True).count(),
        })
    return results


def main(path, rounds):
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "zezhou_heat.settings.local"
    import django

    django.setup()
    from django.core.management import call_command

    from directory.choices import PositionCode as P
    from directory.plan_loader import load_plan
    from incidents import clocks
    from tests.conftest import create_user

    call_command("migrate", verbosity=0)
    load_plan()
    # The broker is not what is raced here; no fast-path task leaves this throwaway database.
    clocks.schedule_fast_path = lambda deadline: None
    duty, commander, deputy = (create_user(p, n) for n, p in enumerate(
        (P.DUTY_OFFICER, P.COMMANDER, P.DEPUTY_COMMANDER), start=1))
    print(json.dumps(approval_rounds(duty, commander, deputy, rounds)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
