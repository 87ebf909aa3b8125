"""The shipped translation: complete, and compiled from the .po as committed (CI has no gettext)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "django_streaminbox" / "locale"


def po_entries(path: Path) -> dict[tuple[str, str], str]:
    """``{(msgctxt, msgid): msgstr}`` from a .po file, multi-line strings joined."""
    entries: dict[tuple[str, str], str] = {}
    fields: dict[str, str] = {}
    current = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        match = re.match(r"^(msgctxt|msgid|msgstr) (\".*\")$", line)
        if match:
            if match.group(1) in ("msgctxt", "msgid") and "msgstr" in fields:
                entries[(fields.get("msgctxt", ""), fields["msgid"])] = fields["msgstr"]
                fields = {}
            current = match.group(1)
            fields[current] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and current:
            fields[current] += ast.literal_eval(line)
        elif not line.strip() and "msgstr" in fields:
            entries[(fields.get("msgctxt", ""), fields["msgid"])] = fields["msgstr"]
            fields, current = {}, ""
    return entries


def test_french_is_complete_and_compiled() -> None:
    folder = LOCALE / "fr" / "LC_MESSAGES"
    entries = {key: value for key, value in po_entries(folder / "django.po").items() if key[1]}
    assert len(entries) > 40
    untranslated = [msgid for (_, msgid), msgstr in entries.items() if not msgstr]
    assert not untranslated, untranslated
    with (folder / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    for (context, msgid), msgstr in entries.items():
        found = catalog.pgettext(context, msgid) if context else catalog.gettext(msgid)
        assert found == msgstr, f"django.mo is older than django.po for {msgid!r}: compilemessages"
