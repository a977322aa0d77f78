"""Run the benchmarks and print each figure beside its bar and baseline.

python -m benchmarks              # all
python -m benchmarks core         # one group
"""

from __future__ import annotations

import argparse
import importlib
import json
import time

from benchmarks.common import REPO, Row

GROUPS = (
    "core",
    "gui",
    "drawing",
    "code_space",
    "models",
    "files",
    "generate",
    "images",
    "outliers",
    "colour",
    "photos",
    "precision",
    "soak",
    "gpu",
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"any of {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--minutes", type=float, help="soak: how long the scripted session runs (default: 20)")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "out" / "results.json"), help="write rows here")
    args = parser.parse_args()
    rows: list[Row] = []
    for group in args.groups or GROUPS:
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{group}")
        group_rows = module.run(args.minutes) if group == "soak" and args.minutes else module.run()
        rows += group_rows
        print(f"[{group}: {time.perf_counter() - started:.0f} s]", flush=True)
        for row in group_rows:
            print(format_row(row), flush=True)
    out = REPO / args.json if not args.json.startswith("/") else __import__("pathlib").Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([row.as_dict() for row in rows], indent=2) + "\n")
    failed = [row for row in rows if row.ok is False]
    print(
        f"\n{len(rows) - len(failed)} of {len(rows)} rows meet their bar"
        + (f"; FAILED: {len(failed)}" if failed else "")
    )
    return 1 if failed else 0


def format_row(row: Row) -> str:
    status = {True: "PASS", False: "FAIL", None: "----" if row.note.startswith("skipped") else "info"}[row.ok]
    value = "n/a" if row.value is None else f"{row.value:g} {row.unit}".strip()
    line = f"  {status}  {row.name}: {value}  (bar {row.bar}; baseline: {row.baseline})"
    return line + (f"  [{row.note}]" if row.note else "")


if __name__ == "__main__":
    raise SystemExit(main())
