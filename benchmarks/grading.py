"""How long grading takes: a synthetic class of model solutions, autograded as an instructor does.

    .venv/bin/python benchmarks/grading.py [--assignment activations] [--students 10]

Builds a private course copy in a temporary folder (config, grading helpers, solutions), releases
the assignment, hands in the model solution for each synthetic student, and runs
``python -m grading.autograde`` (nbgrader's autograde, one student at a time). Prints the time per
submission (mean, min, max, from the progress lines) and for the whole batch. The machines are
noisy: compare runs made in one sitting.
"""
from __future__ import annotations

import argparse
import re
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="activations")
    parser.add_argument("--students", type=int, default=10)
    args = parser.parse_args()
    env = tool_env()
    with tempfile.TemporaryDirectory() as tmp:
        course = copy_course(Path(tmp))
        subprocess.run([str(BIN / "nbgrader"), "generate_assignment", args.assignment, "--force"],
                       cwd=course, env=env, check=True, capture_output=True)
        name = f"{args.assignment}.ipynb"
        nb = solved_release(args.assignment, course)
        for i in range(args.students):
            folder = course / "submitted" / f"student{i:03d}" / args.assignment
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / name)
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "grading.autograde", args.assignment],
                             cwd=course, env=env, capture_output=True, text=True)
        batch = time.perf_counter() - start
    print(run.stdout)
    per = [float(s) for s in re.findall(r"points in ([\d.]+) s", run.stdout)]
    if run.returncode or len(per) != args.students:
        print(run.stderr, file=sys.stderr)
        return 1
    print(f"{args.assignment}: {args.students} submissions graded in {batch:.1f} s "
          f"(per submission: mean {sum(per) / len(per):.1f} s, min {min(per):.1f} s, max {max(per):.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
