"""``python -m benchmarks`` (``make bench``): run every section, print the table, write the JSON.

python -m benchmarks                     # the default run: a few minutes
python -m benchmarks --quick             # under a minute, tiny sizes (what the smoke test runs)
python -m benchmarks --with-100k         # add the 100,000-user backfill (slow)
python -m benchmarks --only token --only saves
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .runner import Run, Sizes

SECTIONS = ("token", "saves", "backfill", "channel", "emulator", "inbox")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: under a minute")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        default=[],
        help="run only this section (repeatable)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        choices=SECTIONS,
        default=[],
        help="skip this section (repeatable)",
    )
    parser.add_argument(
        "--backfill",
        type=int,
        nargs="+",
        metavar="N",
        help="backfill sizes (default 10000; --quick 250)",
    )
    parser.add_argument("--with-100k", action="store_true", help="add the 100,000-user backfill")
    parser.add_argument(
        "--full-loop",
        action="store_true",
        help="time the one-at-a-time loop over every user instead of a sample",
    )
    parser.add_argument(
        "--rate-limited-users",
        type=int,
        metavar="N",
        help="users in the rate-limited backfill (default 20000; 0 skips it)",
    )
    parser.add_argument("--seconds", type=float, help="seconds of load per throughput figure")
    parser.add_argument(
        "--json",
        type=Path,
        help="where to write the results (default benchmarks/results/latest.json)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser.parse_args(argv)


def sizes_for(args: argparse.Namespace) -> Sizes:
    sizes = Sizes.quick() if args.quick else Sizes()
    changes: dict[str, object] = {}
    backfill = list(args.backfill or sizes.backfill)
    if args.with_100k and 100_000 not in backfill:
        backfill.append(100_000)
    changes["backfill"] = tuple(sorted(backfill))
    if args.full_loop:
        changes["loop_sample"] = max(backfill)
    if args.rate_limited_users is not None:
        changes["rate_limited_users"] = args.rate_limited_users
    if args.seconds:
        changes["load_seconds"] = args.seconds
        changes["emulator_seconds"] = args.seconds
    return dataclasses.replace(sizes, **changes)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sections = [s for s in (args.only or SECTIONS) if s not in args.skip]
    sizes = sizes_for(args)
    log = (
        (lambda message: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    )
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="streaminbox-bench-") as tmp:
        from .processes import API_KEY, API_SECRET, EmulatorProcess

        with EmulatorProcess() as emulator:
            os.environ.update(
                {
                    "BENCH_DB": str(Path(tmp) / "bench.sqlite3"),
                    "BENCH_STREAM_URL": emulator.url,
                    "BENCH_API_KEY": API_KEY,
                    "BENCH_API_SECRET": API_SECRET,
                }
            )
            os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
            import django

            django.setup()
            from django.core.management import call_command

            from . import report

            call_command("migrate", verbosity=0)
            bench = Run(sizes=sizes, emulator=emulator, log=log)
            errors = run_sections(bench, sections, Path(tmp))
    bench.details["wall_seconds"] = round(time.perf_counter() - began, 1)
    bench.details["errors"] = errors
    options = {
        "quick": args.quick,
        "sections": sections,
        "sizes": dataclasses.asdict(sizes),
        "latency_ms": 20,
    }
    path = report.write_json(bench.rows, bench.details, options, args.json)
    print(report.render(bench.rows))
    if args.markdown:
        print()
        print(report.render_markdown(bench.rows))
    print(f"\n{len(bench.rows)} figures in {bench.details['wall_seconds']} s; written to {path}")
    for section, error in errors.items():
        print(f"\nsection {section} failed:\n{error}", file=sys.stderr)
    return 1 if errors else 0


def run_sections(bench: Run, sections: list[str], tmp: Path) -> dict[str, str]:
    from . import backfill, direct_channel, emulator_perf, inbox, token_endpoint, user_saves

    runners = {
        "token": lambda: token_endpoint.run(bench),
        "saves": lambda: user_saves.run(bench),
        "backfill": lambda: backfill.run(bench, tmp),
        "channel": lambda: direct_channel.run(bench),
        "emulator": lambda: emulator_perf.run(bench),
        "inbox": lambda: inbox.run(bench),
    }
    errors: dict[str, str] = {}
    for section in sections:
        bench.log(f"[{section}]")
        started = time.perf_counter()
        try:
            bench.emulator.reset()
            runners[section]()
        except Exception:
            errors[section] = traceback.format_exc()
        bench.details.setdefault("section_seconds", {})[section] = round(
            time.perf_counter() - started, 1
        )
    return errors


if __name__ == "__main__":
    sys.exit(main())
