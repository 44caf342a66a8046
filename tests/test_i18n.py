"""Both catalogues are complete, compiled, and cover every string in the code."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["zh_Hans", "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{ *\w+ *\}\}")


def catalogue(language, kind="po"):
    path = ROOT / "locale" / language / "LC_MESSAGES" / f"django.{kind}"
    return polib.pofile(str(path)) if kind == "po" else polib.mofile(str(path))


def translations(entry):
    return [entry.msgstr] if not entry.msgid_plural else list(entry.msgstr_plural.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    po = catalogue(language)
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    for entry in catalogue(language):
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        for text in translations(entry):
            assert sorted(PLACEHOLDER.findall(text)) == wanted, entry.msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    po = {(e.msgctxt, e.msgid): translations(e) for e in catalogue(language) if e.msgid}
    mo = {(e.msgctxt, e.msgid): translations(e) for e in catalogue(language, "mo") if e.msgid}
    assert mo == po, "run `make messages` and commit the .mo files"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext")
def test_catalogue_covers_every_string_in_the_code(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".venv", "var", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".hypothesis"))
    subprocess.run([sys.executable, "manage.py", "makemessages", "--locale", "zh_Hans",
                    "--no-obsolete"], cwd=copy, check=True, capture_output=True)
    fresh = {e.msgid for e in polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES/django.po"))}
    committed = {e.msgid for e in catalogue("zh_Hans")}
    assert fresh - committed == set(), "run `make messages` and translate the new strings"
