"""Writes the scenario playbooks of plan §4.5 (response/plan_data/response_plan.json) as
PlaybookItem rows, once: administrators edit them afterwards."""

from directory.models import TaskGroup
from directory.services import SYSTEM, saved_with_event
from response.models import PlaybookItem
from response.plan_data import response_plan


def playbooks_loaded(sender, report, **kwargs):
    """The receiver of directory.plan_loader.plan_loaded."""
    report.created.extend(["playbook item"] * load_playbooks())


def load_playbooks():
    created = 0
    groups = {group.code: group for group in TaskGroup.objects.all()}
    for scenario, items in response_plan()["playbooks"].items():
        for order, (group_code, text) in enumerate(items, start=1):
            if PlaybookItem.objects.filter(scenario=scenario, text=text).exists():
                continue
            item = PlaybookItem(scenario=scenario, text=text, task_group=groups[group_code],
                                order=order)
            saved_with_event(actor=SYSTEM, instance=item, kind="response.playbookitem")
            created += 1
    return created
