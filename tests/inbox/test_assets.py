"""The browser assets: small, and never writing markup from data."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "django_streaminbox" / "static" / "streaminbox"


def test_our_javascript_stays_under_25_kb_gzipped() -> None:
    size = len(gzip.compress((STATIC / "inbox.js").read_bytes(), compresslevel=9))
    assert size < 25_000, f"inbox.js is {size} bytes gzipped"


def test_the_script_never_parses_html() -> None:
    """User text goes in as text nodes; no API that turns a string into markup is used at all."""
    source = (STATIC / "inbox.js").read_text()
    code = re.sub(r"/\*.*?\*/|^\s*//.*$", "", source, flags=re.DOTALL | re.MULTILINE)
    markup_apis = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "DOMParser")
    for api in (*markup_apis, "eval(", "Function("):
        assert api not in code, api
    assert not re.search(r"setAttribute\(\s*['\"]on", code)


def test_the_stylesheet_needs_no_inline_styles() -> None:
    """Strict CSPs forbid style attributes: the script never writes any."""
    source = (STATIC / "inbox.js").read_text()
    assert ".style." not in source
    assert "'style'" not in source
