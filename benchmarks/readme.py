"""``python -m benchmarks.readme [RESULTS.json]``: a run's table into the README.

The table goes into README.md's Performance section, between the ``<!-- bench-table`` and
``<!-- /bench-table -->`` markers, with the date, the machine and its load average when the run
ended, so the README always says where its figures came from.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from .report import RESULTS, Row, render_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- bench-table[^\n]*-->\n).*?(<!-- /bench-table -->)", re.S)


def table(document: dict[str, Any]) -> str:
    rows = [Row(**row) for row in document["rows"]]
    machine = document["machine"]
    load = ", ".join(str(x) for x in machine["load_average"])
    return (
        f"{render_markdown(rows)}\n\n"
        f"Run of {document['generated_at']} on {machine['cpus']} CPUs (load average {load} at the "
        f"end), Python {machine['python']}, {document['details'].get('wall_seconds')} s in all.\n"
    )


def main(argv: list[str]) -> None:
    path = Path(argv[0]) if argv else RESULTS / "latest.json"
    document = json.loads(path.read_text())
    text = README.read_text()
    if not BLOCK.search(text):
        raise SystemExit("README.md has no <!-- bench-table --> ... <!-- /bench-table --> block")
    README.write_text(
        BLOCK.sub(lambda m: m.group(1) + "\n" + table(document) + "\n" + m.group(2), text)
    )
    print(f"README.md: table from {path}")


if __name__ == "__main__":
    main(sys.argv[1:])
