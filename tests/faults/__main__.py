"""`make chaos` (`python -m tests.faults`): one chaos run on the real runtime, its report, results and plot.

Results go to bench/results/chaos/<date>-<profile>/ (git-ignored): results.json, report.txt, chaos.png.
Exits 1 when anything was lost, duplicated or left unsettled.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.faults import profiles, report
from tests.faults.run import run

ROOT = Path(__file__).resolve().parents[2]


def _duration(text: str) -> float:
    """ "20m", "90s", "1h30m" or plain seconds."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 20m, 90s, 1h30m)")
    return float(sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in parts))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="make chaos", description=__doc__.splitlines()[0])
    p.add_argument("--long", action="store_true", help="the long profile (default: the short one CI runs)")
    p.add_argument("--duration", type=_duration, default=20 * 60.0, help="of the long profile's workload (20m)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "chaos")
    p.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (their folder is printed)")
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)
    from tests.dapr.conftest import _missing

    if missing := _missing():
        print("chaos needs the real runtime: " + "; ".join(missing), file=sys.stderr)
        return 2
    profile = profiles.long(args.duration) if args.long else profiles.short()
    result = run(profile, seed=args.seed, keep_logs=args.keep_logs)
    folder = args.out / f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{profile.name}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(result.record, indent=1, default=str))
    text = report.render(result.record)
    (folder / "report.txt").write_text(text + "\n")
    print(text)
    if not args.no_plot:
        from tests.faults import plot

        print(f"plot: {plot.draw(result.record, folder / 'chaos.png')}")
    print(f"results: {folder}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
