"""Runs every benchmark and prints a summary table of their figures against the targets.

    .venv/bin/python bench/run_all.py [--quick] [--only append,relay,end_to_end,...]

Every script in bench/ whose name does not start with "_" is a benchmark. Each runs as its own process (as `.venv/bin/python bench/NAME.py`), its output shown as it comes; the
table at the end collects the `RESULT|...` lines they print. `--quick` passes small sizes (a smoke run of the
benchmarks themselves, not figures to quote). Nothing here asserts a time: a missed target is a row marked NO.
The table gives each figure's store (sqlite or postgres; a figure that names none was measured on the embedded
SQLite default), its target and whether it was met; under it, the command that produced each benchmark's figures.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Arguments for --quick; every other script in bench/ (not starting with "_") runs too, with its defaults.
QUICK_ARGS = {
    "append": ["--calls", "100"],
    "relay": ["--n", "5000"],
    "end_to_end": ["--duration", "5", "--latency-seconds", "3"],
    "members_import": ["--rows", "2000"],
    "desks_index": ["--desks", "20"],
    "audit": ["--events", "20000"],
    "as_of": ["--events", "20000", "--every", "5000"],
    "surveys": ["--members", "3000", "--responses", "300", "--imported", "1000"],
    "breach": ["--calls", "50", "--span", "4"],
    "command_api": ["--calls", "100", "--seconds", "3"],
    "rebuild": ["--events", "20000", "--seed-calls", "200"],
    "notify_smtp": ["--messages", "50"],
    "surveys_pipeline": ["--answers", "3000", "--baseline", "300"],
}


def discover() -> list[str]:
    found = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_") and p.stem != "run_all")
    first = [name for name in QUICK_ARGS if name in found]
    return first + [name for name in found if name not in first]


BENCHES = discover()
TIMEOUT_SECONDS = 600  # per benchmark; each is meant to finish in ~3 minutes
# Those that take longer at full size: 300,000 answers through the surveys service take ~10 minutes on a busy machine.
LONGER = {"surveys_pipeline": 1800}


def run(name: str, args: list[str]) -> tuple[int | None, float, list[list[str]]]:
    cmd = [sys.executable, str(HERE / f"{name}.py"), *args]
    print(f"\n=== {' '.join(['.venv/bin/python', f'bench/{name}.py', *args])}", flush=True)
    started = time.monotonic()
    results: list[list[str]] = []
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE.parent, env=os.environ.copy()
    )

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("RESULT|"):
                results.append(line.rstrip("\n").split("|")[1:])

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        proc.wait(timeout=LONGER.get(name, TIMEOUT_SECONDS))
    except subprocess.TimeoutExpired:
        print(f"\n{name}: still running after {LONGER.get(name, TIMEOUT_SECONDS)}s; interrupting it", flush=True)
        # SIGINT first: end_to_end.py stops the system it started in its finally block.
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    return proc.returncode, time.monotonic() - started, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: check that the benchmarks run, quote nothing"
    )
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated: " + ", ".join(BENCHES))
    args = parser.parse_args()
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    rows = []
    runs = []
    for name in chosen:
        extra = QUICK_ARGS.get(name, []) if args.quick else []
        code, seconds, results = run(name, extra)
        runs.append((name, code, seconds, " ".join([".venv/bin/python", f"bench/{name}.py", *extra])))
        rows += [[name, *r] for r in results]
    width = 118
    print("\n" + "=" * width)
    # The benchmark and unit columns fit the longest name and unit.
    col = max([14, *(len(name) + 1 for name in chosen)])
    ucol = max([9, *(len(row[3]) + 1 for row in rows)])
    print(f"{'benchmark':<{col}}{'store':<9}{'figure':<48}{'value':>11} {'unit':<{ucol}}{'target':<12}{'met':<4}")
    print("-" * width)
    for bench, figure, value, unit, target, met in rows:
        store = next((s for s in ("sqlite", "postgres") if f" {s} " in f" {figure} "), "sqlite")
        figure = " ".join(w for w in figure.split() if w not in ("sqlite", "postgres"))
        print(f"{bench:<{col}}{store:<9}{figure:<48}{value:>11} {unit:<{ucol}}{target:<12}{met:<4}")
    print("-" * width)
    for name, code, seconds, command in runs:
        state = "ok" if code == 0 else f"exit code {code}"
        print(f"{name:<{col}} ran {seconds:5.0f}s, {state:<12} {command}")
    if args.quick:
        print("(--quick: small sizes, figures not to be quoted)")
    return 0 if all(run[1] == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
