"""A class on the hub at once: how long 30 servers take to start, and a submit under load.

    sudo .venv/bin/python benchmarks/hub_load.py [--students 30] [--workers 10]

Starts a throwaway hub on 127.0.0.1 (deploy/trial.py: the real configuration, users with a
unique prefix, all removed at the end). The instructor releases ``activations``; then every
student, at most ``--workers`` at a time, logs in, starts a server, fetches, saves the model
answers and submits (deploy/load.py); the instructor collects. Prints the time from the first
spawn to the last server ready, each server's start time and each submit's (p50, p95), and
whether every submission arrived. The machine is shared and noisy: read the numbers as orders of
magnitude.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from deploy.load import Load, run  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--workers", type=int, default=10, help="students acting at the same time")
    args = p.parse_args()
    load = run(args.students, args.workers)
    pct = Load.percentile
    print(f"{args.students} students, {args.workers} at a time, on 127.0.0.1")
    print(f"  all servers started, work fetched, saved and submitted in {load.spawn_all_seconds:.1f} s")
    print(f"  one server's start: p50 {pct(load.spawn_seconds, 50):.1f} s, "
          f"p95 {pct(load.spawn_seconds, 95):.1f} s, max {max(load.spawn_seconds):.1f} s")
    print(f"  one submit: p50 {pct(load.submit_seconds, 50) * 1000:.0f} ms, "
          f"p95 {pct(load.submit_seconds, 95) * 1000:.0f} ms, max {max(load.submit_seconds) * 1000:.0f} ms")
    lost = set(load.students) - load.submitted
    print(f"  submissions in the exchange: {load.in_exchange}; collected: {len(load.submitted)}; "
          f"lost: {len(lost)}{' ' + ', '.join(sorted(lost)) if lost else ''}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
