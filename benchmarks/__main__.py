"""Run the benchmarks and print each figure beside its bar and baseline.

python -m benchmarks              # all
python -m benchmarks core         # one group
python -m benchmarks gui --only-tabs --seconds 5 --busy 2 --map tsne   # the window's cost per tab, training
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
    parser.add_argument("--seconds", type=float, help="gui: seconds of training measured per tab (default: 5)")
    parser.add_argument("--busy", type=int, default=0, help="gui: CPU-bound programs running beside the per-tab table")
    parser.add_argument("--map", choices=("pca", "tsne"), help="gui: the Code space lays its map out back to back")
    parser.add_argument("--only-tabs", action="store_true", help="gui: only the per-tab table (issue 45)")
    parser.add_argument("--json", default=str(REPO / "benchmarks" / "out" / "results.json"), help="write rows here")
    args = parser.parse_args()
    rows: list[Row] = []
    for group in args.groups or GROUPS:
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{group}")
        if group == "gui":
            group_rows = module.run(args.seconds, args.busy, args.map, args.only_tabs)
        else:
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
