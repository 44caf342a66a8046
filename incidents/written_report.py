"""The contents a written report (书面报告) must have, plan §4.1. A report missing any of
them is incomplete and says which."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Element:
    key: str
    label: object
    multiline: bool = False
    phone: bool = False


ELEMENTS = [
    Element("occurred_at", _("Time of the incident")),
    Element("place", _("Place")),
    Element("information_source", _("Information source")),
    Element("category", _("Category")),
    Element("course_of_events", _("Course of events"), multiline=True),
    Element("property_loss", _("Property loss")),
    Element("casualties", _("Casualties")),
    Element("initial_grade", _("Initial grade")),
    Element("measures_taken", _("Measures taken"), multiline=True),
    Element("secondary_hazards", _("Secondary or derived hazards"), multiline=True),
    Element("nearby_hazard_sources", _("Hazard sources nearby"), multiline=True),
    Element("warnings_issued", _("Warnings issued")),
    Element("evacuation_needed", _("Whether people need to be evacuated")),
    Element("support_needed", _("Support needed and problems needing help"), multiline=True),
    Element("site_leader_name", _("On-site leader: name")),
    Element("site_leader_unit", _("On-site leader: unit")),
    Element("site_leader_phone", _("On-site leader: phone"), phone=True),
    Element("reporter_name", _("Reporter: name")),
    Element("reporter_unit", _("Reporter: unit")),
    Element("reporter_phone", _("Reporter: phone"), phone=True),
]
KEYS = [element.key for element in ELEMENTS]
MAX_LENGTH = 2000  # each item, as a report's summary
BY_KEY = {element.key: element for element in ELEMENTS}


def missing_elements(contents):
    return [e for e in ELEMENTS if not str(contents.get(e.key, "")).strip()]
