"""Keep README.md honest: what it documents exists, and what exists is documented.

Each test reads the README as a user does (tables, code blocks, ``{% tag %}`` and
``streaminbox:name`` mentions) and compares it with the package, both ways where both make sense.
"""

from __future__ import annotations

import ast
import re
import textwrap
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.dispatch import Signal
from django.template import engines
from django.urls import URLPattern

from django_streaminbox import signals
from django_streaminbox.conf import StreamInboxConf

README = Path(__file__).resolve().parents[2] / "README.md"
PACKAGE = Path(__file__).resolve().parents[2] / "django_streaminbox"
TEXT = README.read_text(encoding="utf-8")
SETTING_ROW = re.compile(r"^\|\s*`(STREAMINBOX_[A-Z0-9_]+)`\s*\|([^|]*)\|([^|]*)\|", re.MULTILINE)


def section(title: str) -> str:
    """The text of one ``## title`` section, up to the next heading of the same level."""
    match = re.search(
        rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", TEXT, re.MULTILINE | re.DOTALL
    )
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def code_blocks(language: str) -> list[str]:
    """Fenced blocks of one language, dedented (those inside list items are indented)."""
    found = re.findall(rf"^[ ]*```{language}\n(.*?)^[ ]*```", TEXT, re.MULTILINE | re.DOTALL)
    return [textwrap.dedent(block) for block in found]


def documented_settings() -> dict[str, tuple[str, str]]:
    rows = SETTING_ROW.findall(section("Settings reference"))
    names = [name for name, _default, _what in rows]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f"settings listed twice in the reference: {duplicates}"
    return {name: (default.strip(), what.strip()) for name, default, what in rows}


def code_settings() -> dict[str, Any]:
    return dict(StreamInboxConf._meta.defaults)


def test_every_setting_in_conf_is_in_the_reference() -> None:
    missing = sorted(set(code_settings()) - set(documented_settings()))
    assert not missing, f"settings in conf.py missing from README's settings reference: {missing}"


def test_every_setting_in_the_reference_exists() -> None:
    unknown = sorted(set(documented_settings()) - set(code_settings()))
    assert not unknown, f"README's settings reference lists settings conf.py lacks: {unknown}"


def test_every_setting_the_readme_mentions_exists() -> None:
    mentioned = set(re.findall(r"\bSTREAMINBOX_[A-Z0-9_]*[A-Z0-9]\b", TEXT))
    unknown = sorted(mentioned - set(code_settings()))
    assert not unknown, f"README.md mentions settings that do not exist: {unknown}"


def test_every_setting_in_the_code_is_defined_in_conf() -> None:
    """A setting read somewhere in the package but given no default (and so no docs) is a bug."""
    read = set()
    for source in PACKAGE.rglob("*.py"):
        text = source.read_text(encoding="utf-8")
        read |= set(re.findall(r"settings\.(STREAMINBOX_[A-Z0-9_]+)", text))
        read |= {
            f"STREAMINBOX_{name}" for name in re.findall(r"get_setting\(\"([A-Z0-9_]+)\"", text)
        }
    unknown = sorted(read - set(code_settings()))
    assert not unknown, f"the package reads settings that conf.py does not define: {unknown}"


def test_documented_defaults_are_the_real_defaults() -> None:
    """The Default column starts with the default as a Python literal in backticks: `3.0`, `""`."""
    wrong = []
    for name, (default_cell, _what) in documented_settings().items():
        if name not in code_settings():
            continue  # reported by test_every_setting_in_the_reference_exists
        literal = re.match(r"`([^`]*)`", default_cell)
        try:
            documented = ast.literal_eval(literal.group(1)) if literal else default_cell
        except (ValueError, SyntaxError):
            documented = default_cell
        if documented != code_settings()[name]:
            wrong.append(
                f"{name}: README says {default_cell!r}, code has {code_settings()[name]!r}"
            )
    assert not wrong, "wrong defaults in README's settings reference:\n" + "\n".join(wrong)


def test_every_setting_says_what_it_does() -> None:
    empty = sorted(name for name, (_default, what) in documented_settings().items() if not what)
    assert not empty, f"settings whose 'What it does' cell is empty: {empty}"


def registered_tags() -> set[str]:
    library = import_module("django_streaminbox.templatetags.streaminbox").register
    return set(library.tags) | set(library.filters)


def test_every_template_tag_the_readme_shows_exists() -> None:
    shown = set(re.findall(r"\{%\s*(streaminbox_\w+)", TEXT))
    assert shown, "README.md shows no template tag"
    unknown = sorted(shown - registered_tags())
    assert not unknown, f"README.md shows template tags that do not exist: {unknown}"


def test_every_template_tag_is_documented() -> None:
    shown = set(re.findall(r"\{%\s*(streaminbox_\w+)", TEXT)) | set(
        re.findall(r"\|\s*(streaminbox_\w+)", TEXT)
    )
    undocumented = sorted(registered_tags() - shown)
    assert not undocumented, f"template tags missing from README.md: {undocumented}"


def url_names() -> set[str]:
    urls = import_module("django_streaminbox.urls")
    assert urls.app_name == "streaminbox"
    return {p.name for p in urls.urlpatterns if isinstance(p, URLPattern) and p.name}


def test_every_url_name_the_readme_uses_exists() -> None:
    used = set(re.findall(r"\bstreaminbox:(\w+)", TEXT))
    assert used, "README.md names no URL"
    unknown = sorted(used - url_names())
    assert not unknown, f"README.md names URLs that django_streaminbox.urls lacks: {unknown}"


def test_every_url_name_is_documented() -> None:
    undocumented = sorted(url_names() - set(re.findall(r"\bstreaminbox:(\w+)", TEXT)))
    assert not undocumented, f"URL names missing from README.md: {undocumented}"


def test_every_management_command_is_documented() -> None:
    commands = {path.stem for path in (PACKAGE / "management" / "commands").glob("[!_]*.py")}
    assert commands, "the package has no management command"
    undocumented = sorted(name for name in commands if f"manage.py {name}" not in TEXT)
    assert not undocumented, f"management commands missing from README.md: {undocumented}"


def test_every_management_command_the_readme_runs_exists() -> None:
    commands = {path.stem for path in (PACKAGE / "management" / "commands").glob("[!_]*.py")}
    run = set(re.findall(r"manage\.py (streaminbox_\w+)", TEXT))
    unknown = sorted(run - commands)
    assert not unknown, f"README.md runs management commands that do not exist: {unknown}"


def test_every_signal_is_documented() -> None:
    names = sorted(n for n, value in vars(signals).items() if isinstance(value, Signal))
    assert names, "django_streaminbox.signals defines no signal"
    undocumented = [name for name in names if f"`{name}`" not in TEXT]
    assert not undocumented, f"signals missing from README.md: {undocumented}"


@pytest.mark.parametrize("block", code_blocks("python"), ids=lambda b: b.splitlines()[0][:40])
def test_python_examples_are_valid_python(block: str) -> None:
    ast.parse(block)


@pytest.mark.parametrize("block", code_blocks("django"), ids=lambda b: b.splitlines()[0][:40])
def test_template_examples_compile(block: str) -> None:
    """Compiling checks each tag exists and gets arguments it accepts."""
    engines["django"].from_string(block)


def test_every_local_link_points_at_a_file() -> None:
    targets = re.findall(r"\]\((?!https?://|#|mailto:)([^)\s]+)\)", TEXT)
    assert targets, "README.md links to no file of the repository"
    missing = sorted({t for t in targets if not (README.parent / t.split("#")[0]).exists()})
    assert not missing, f"README.md links to files that do not exist: {missing}"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def test_every_anchor_link_points_at_a_heading() -> None:
    prose = re.sub(r"^[ ]*```.*?^[ ]*```", "", TEXT, flags=re.MULTILINE | re.DOTALL)
    anchors = {github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", prose, re.MULTILINE)}
    linked = set(re.findall(r"\]\(#([^)]+)\)", TEXT))
    missing = sorted(linked - anchors)
    assert not missing, f"README.md links to headings that do not exist: {missing}"
