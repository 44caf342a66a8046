"""Set zh_Hans translations from the command line: translate.py 'msgid=译文' …
Clears the fuzzy flag of each entry set. Run `make messages` afterwards to compile."""

import sys

import polib

PATH = "locale/zh_Hans/LC_MESSAGES/django.po"
catalogue = polib.pofile(PATH)
wanted = dict(arg.split("=", 1) for arg in sys.argv[1:])
for entry in catalogue:
    if entry.msgid in wanted:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: wanted.pop(entry.msgid)}
        else:
            entry.msgstr = wanted.pop(entry.msgid)
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
catalogue.save(PATH)
if wanted:
    sys.exit(f"not in the catalogue: {', '.join(wanted)}")
