"""The response data of the plan: level measures (§4.3) and scenario playbooks (§4.5)."""

import json
from functools import cache
from pathlib import Path

PLAN_FILE = Path(__file__).parent / "response_plan.json"


@cache
def response_plan():
    with open(PLAN_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def level_measures(level):
    return response_plan()["measures"][level]
