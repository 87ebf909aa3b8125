"""The results: rows of figure, baseline, ratio and target, printed as a table and as JSON."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .stats import ratio

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    """One figure of the app beside its baseline measured in the same run."""

    section: str
    metric: str
    value: float | None
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""
    ratio: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline_value is not None:
            self.ratio = ratio(self.value, self.baseline_value)


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit in {"calls", "429s", "B", "requests"} or float(value).is_integer():
        text = f"{value:,.0f}" if abs(value) >= 1 or value == 0 else f"{value:.2f}"
    elif abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}x" if value >= 100 else f"{value:.2f}x"


def render(rows: list[Row]) -> str:
    """A fixed-width table, one line per row, sections in the order they ran."""
    header = [
        "Section",
        "Metric",
        "This app",
        "Baseline",
        "Baseline value",
        "Ratio",
        "Target",
        "Met",
    ]
    lines = [
        [
            row.section,
            row.metric,
            _fmt(row.value, row.unit),
            row.baseline or "-",
            _fmt(row.baseline_value, row.unit) if row.baseline else "-",
            _fmt_ratio(row.ratio),
            row.target or "-",
            {True: "yes", False: "NO", None: "-"}[row.met],
        ]
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    out = [" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(header))]
    out.append("-+-".join("-" * w for w in widths))
    out += [" | ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(c)) for c in lines]
    return "\n".join(line.rstrip() for line in out)


def render_markdown(rows: list[Row]) -> str:
    """The same table as Markdown, for the README's Performance section."""
    out = ["| Section | Metric | This app | Baseline | Baseline value | Ratio | Target | Met |"]
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        cells = [
            row.section,
            row.metric,
            _fmt(row.value, row.unit),
            row.baseline or "-",
            _fmt(row.baseline_value, row.unit) if row.baseline else "-",
            _fmt_ratio(row.ratio),
            row.target or "-",
            {True: "yes", False: "**no**", None: "-"}[row.met],
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def machine() -> dict[str, Any]:
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def write_json(
    rows: list[Row], details: dict[str, Any], options: dict[str, Any], path: Path | None = None
) -> Path:
    path = path or RESULTS / "latest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        "options": options,
        "rows": [asdict(row) for row in rows],
        "details": details,
    }
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return path
