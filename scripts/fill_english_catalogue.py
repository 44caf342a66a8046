"""The source strings are English, so the English catalogue translates each to itself.
Filling it keeps the catalogue complete, which tests/test_i18n.py checks."""

import sys

import polib

path = sys.argv[1] if len(sys.argv) > 1 else "locale/en/LC_MESSAGES/django.po"
catalogue = polib.pofile(path)
for entry in catalogue:
    if entry.msgid_plural:
        entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
    else:
        entry.msgstr = entry.msgid
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
catalogue.metadata["Language"] = "en"
catalogue.metadata["Content-Type"] = "text/plain; charset=UTF-8"
catalogue.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
catalogue.save(path)
