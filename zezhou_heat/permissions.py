"""Every permission the code checks, defined once: its app, codename and description.

A permission is a string ("app_label.codename"), so `user.has_perm(REPORT)` reads as usual.
The models declare their custom ones from here (`Meta.permissions = declared_for(app)`),
directory.authority grants them to positions, and templates read them through `perms`
(tests/test_layers.py checks that every name a template uses is defined here). Those without
a description are Django's default model permissions ("view_<model>")."""

from django.utils.translation import gettext_lazy as _


class Perm(str):
    def __new__(cls, app_label, codename, description=None):
        perm = super().__new__(cls, f"{app_label}.{codename}")
        perm.app_label, perm.codename, perm.description = app_label, codename, description
        return perm


VIEW_DIRECTORY = Perm("directory", "view_unit")
MANAGE_DIRECTORY = Perm("directory", "manage_directory",
                        _("Can edit the directory and duty roster"))
VIEW_TIMELINE = Perm("timeline", "view_event")
# Replace the schematic county map with official township boundaries (the administrator's).
MANAGE_COUNTY_MAP = Perm("directory", "manage_county_map",
                         _("Can replace the county map with official township boundaries"))
# The accounts (the administrator's): Django's own permission, also what resets a person's
# second factor (directory.services.two_factor_reset).
MANAGE_ACCOUNTS = Perm("auth", "change_user")
ADD_ACCOUNTS = Perm("auth", "add_user")
# Every mobile number in the directory; without it a reader sees the duty phones, the mobiles
# of whoever is on duty now and those of their own unit (directory.selectors.PhoneBook).
VIEW_ALL_MOBILES = Perm("directory", "view_all_mobiles",
                        _("Can see every mobile number in the directory"))

VIEW_INCIDENTS = Perm("incidents", "view_incident")  # with a scope, unless also:
VIEW_ALL_INCIDENTS = Perm("incidents", "view_all_incidents",
                          _("Can see incidents anywhere in the county"))
REPORT = Perm("incidents", "report_incidents",  # log incidents and their reports, scoped
              _("Can log incidents and their reports"))
REPORT_ANY = Perm("incidents", "report_any_incident",  # … anywhere in the county
                  _("Can report on any incident in the county"))
HANDLE_INQUIRIES = Perm("incidents", "handle_inquiry",
                        _("Can record upper-level inquiries, replies and upward reports"))
MANAGE_INCIDENT_STATUS = Perm("incidents", "manage_incident_status",
                              _("Can move an incident through its lifecycle"))

PROPOSE_RESPONSE = Perm("response", "propose_response",
                        _("Can propose a response level (the office)"))
LEVEL_I = Perm("response", "start_level_i", _("Can start, change to and end Level Ⅰ"))
LEVEL_II = Perm("response", "start_level_ii", _("Can start, change to and end Level Ⅱ"))
LEVEL_III = Perm("response", "start_level_iii", _("Can start, change to and end Level Ⅲ"))
RECORD_RESPONSE = Perm("response", "record_response",
                       _("Can record on-site headquarters, conditions, hand-over"))

VIEW_WARNINGS = Perm("early_warnings", "view_earlywarning")
DRAFT_WARNING = Perm("early_warnings", "draft_warning", _("Can draft and submit early warnings"))
WARN_GENERAL = Perm("early_warnings", "approve_general_warning",
                    _("Can approve, change and lift 一般 warnings"))
WARN_LARGER = Perm("early_warnings", "approve_larger_warning",
                   _("Can approve, change and lift 较大 warnings"))
WARN_MAJOR = Perm("early_warnings", "approve_major_warning",
                  _("Can approve, change and lift 重大以上 warnings"))

# The outbox of the quick start (/outbox/): every message the dashboard sent, and to whom.
VIEW_OUTBOX = Perm("notify", "view_outbox", _("Can see the outbox of messages sent"))
# The delivery board (/notify/deliveries/): who was sent what, and what became of it.
VIEW_DELIVERIES = Perm("notify", "view_deliveries",
                       _("Can see the delivery board of the messages sent"))

ALL = [value for value in dict(globals()).values() if isinstance(value, Perm)]


def declared_for(app_label):
    """An app's custom permissions, as its models' Meta.permissions lists them."""
    return [(perm.codename, perm.description) for perm in ALL
            if perm.app_label == app_label and perm.description is not None]
