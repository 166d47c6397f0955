"""How long grading takes, in parallel and in the sandbox: one run, ratios measured together.

    .venv/bin/python benchmarks/grading.py [--assignment activations] [--students 20] [--repeat 5]

Builds a private course copy in a temporary folder, releases the assignment and hands in the
model solution for each synthetic student. Then, in one sitting:

1. the whole batch through the instructor's command, ``python -m grading.autograde A --jobs 1``
   and ``--jobs 2`` (alternately, ``--rounds`` times each): the parallel speed-up;
2. one submission executed ``--repeat`` times with the sandbox and without it (the same runner,
   ``grading.judge.run.run_notebook``, alternately): what the sandbox adds per submission.

The machines are noisy: compare the ratios printed by one run, not times across runs.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from grading.synthetic import copy_course, solved_release, tool_env  # noqa: E402

BIN = Path(sys.executable).parent


def batch_seconds(course: Path, assignment: str, jobs: int, students: int) -> float:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "grading.autograde", assignment, "--jobs", str(jobs)],
                         cwd=course, env=tool_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    graded = len(re.findall(r"points in [\d.]+ s", run.stdout))
    if run.returncode or graded != students:
        sys.exit(f"autograde --jobs {jobs} failed:\n{run.stdout}\n{run.stderr}")
    return seconds


def submission_seconds(course: Path, assignment: str, sandbox: bool) -> float:
    from grading.judge.execute import test_sources
    from grading.judge.run import plan, run_notebook
    from grading.sandbox.bwrap import Limits

    nb = nbformat.read(course / "submitted" / "student000" / assignment / f"{assignment}.ipynb", 4)
    steps = plan(nb.cells, test_sources(f"sqlite:///{course / 'gradebook.db'}", assignment, assignment))
    start = time.perf_counter()
    result = run_notebook(steps, Limits(), sandbox=sandbox)
    seconds = time.perf_counter() - start
    failed = [i for i, outs in result.outputs.items() if any(o["output_type"] == "error" for o in outs)]
    if failed or result.events:
        sys.exit(f"the model solution did not pass (cells {failed}, {result.events})")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="activations")
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1, help="batches per --jobs value")
    parser.add_argument("--repeat", type=int, default=5, help="single-submission runs per mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nnc-bench-") as tmp:
        course = copy_course(Path(tmp))
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", args.assignment, "--force"],
                       cwd=course, env=tool_env(), check=True, capture_output=True)
        nb = solved_release(args.assignment, course)
        for i in range(args.students):
            folder = course / "submitted" / f"student{i:03d}" / args.assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{args.assignment}.ipynb")
        times: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for jobs in (1, 2):
                times[jobs].append(batch_seconds(course, args.assignment, jobs, args.students))
        modes: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeat):
            for sandbox in (True, False):
                modes[sandbox].append(submission_seconds(course, args.assignment, sandbox))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    inside, outside = statistics.median(modes[True]), statistics.median(modes[False])
    print(f"{args.assignment}, {args.students} submissions of the model solution:")
    print(f"  batch, --jobs 1: {one:.1f} s   --jobs 2: {two:.1f} s   speed-up {one / two:.2f}x")
    print(f"  one submission (median of {args.repeat}): sandboxed {inside:.2f} s, unsandboxed {outside:.2f} s"
          f"   sandbox overhead {100 * (inside / outside - 1):+.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
