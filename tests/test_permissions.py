"""Permissions are defined once (zezhou_heat/permissions.py): templates, the position table
and the database all speak of the same ones."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from directory.authority import ADMIN_SITE, POSITION_PERMISSIONS
from zezhou_heat import permissions

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
DEFINED = set(permissions.ALL)


def test_every_permission_a_template_checks_is_defined():
    used = {f"{app}.{codename}" for path in TEMPLATES.rglob("*.html")
            for app, codename in re.findall(r"\bperms\.(\w+)\.(\w+)", path.read_text())}
    assert used, "the templates check permissions through `perms`"
    assert used - DEFINED == set()


def test_positions_are_granted_only_defined_permissions():
    granted = {perm for perms in POSITION_PERMISSIONS.values() for perm in perms}
    assert granted - DEFINED - set(ADMIN_SITE) == set()


@pytest.mark.django_db
def test_every_defined_permission_exists_in_the_database():
    existing = {f"{app}.{codename}" for app, codename in
                Permission.objects.values_list("content_type__app_label", "codename")}
    assert DEFINED - existing == set()
