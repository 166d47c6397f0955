"""Check an exercise notebook before handing it in, as a student.

    python -m selfcheck NOTEBOOK.ipynb

Runs the notebook from a fresh kernel, as nbgrader's Validate does and with the course's
nbgrader configuration (the nearest ``nbgrader_config.py`` in the notebook's folder or above it),
then prints each task with "passed" or "FAILED" and the first line of why, and "N of M tasks
pass". A task passes when every visible test cell under it runs without an error; written
answers are graded by hand and listed as such. Hidden tests run only when the notebook is graded.
The exit status is 0 when every task passes.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def task_headings(nb: NotebookNode) -> list[str]:
    """For each cell, the task it belongs to: the last markdown heading at or before it."""
    task, tasks = "", []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and (match := HEADING.search(cell.source)):
            task = match.group(1)
        tasks.append(task)
    return tasks


@dataclass
class Task:
    name: str
    written: bool = False
    failures: list[str] = field(default_factory=list)
    tests: int = 0

    @property
    def passed(self) -> bool:
        return self.tests > 0 and not self.failures


def course_config(folder: Path):
    """The course's nbgrader configuration: the nearest nbgrader_config.py at or above ``folder``
    (empty when there is none, e.g. a notebook downloaded on its own)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    for parent in [folder, *folder.parents]:
        if (parent / "nbgrader_config.py").is_file():
            return PyFileConfigLoader("nbgrader_config.py", path=str(parent)).load_config()
    return Config()


def first_error_line(cell: NotebookNode) -> str:
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return " ".join(f"{output.ename}: {output.evalue}".split())[:200]
    return "the test did not pass"


def run(path: Path) -> NotebookNode:
    """The notebook executed from a fresh kernel by nbgrader's own preprocessors."""
    from nbgrader import utils
    from nbgrader.preprocessors import ClearOutput, Execute

    config = course_config(path.parent.resolve())
    nb = nbformat.read(path, as_version=4)
    resources = {"metadata": {"path": str(path.parent.resolve())}}
    with utils.setenv(NBGRADER_VALIDATING="1", NBGRADER_EXECUTION="validate"):
        for step in (ClearOutput, Execute):
            nb, resources = step(config=config).preprocess(nb, resources)
    return nb


def tasks(nb: NotebookNode) -> list[Task]:
    """The notebook's tasks in order, with their executed test cells' outcomes."""
    found: dict[str, Task] = {}
    for cell, heading in zip(nb.cells, task_headings(nb)):
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        task = found.setdefault(heading, Task(heading or "(no heading)"))
        if cell.cell_type == "markdown" or meta.get("solution"):
            task.written = task.written or cell.cell_type == "markdown"
            continue
        task.tests += 1
        if any(o.output_type == "error" for o in cell.get("outputs", [])):
            task.failures.append(first_error_line(cell))
    return list(found.values())


def report(found: list[Task], out=sys.stdout) -> bool:
    checked = [t for t in found if t.tests]
    for t in found:
        if t.tests:
            status = "passed" if t.passed else f"FAILED — {t.failures[0]}"
        else:
            status = "written answer: graded by hand"
        print(f"{t.name}: {status}", file=out)
    passing = sum(t.passed for t in checked)
    print(f"\n{passing} of {len(checked)} tasks pass (the visible tests; hidden tests run when your "
          f"notebook is graded)", file=out)
    return passing == len(checked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        print(f"{args.notebook}: no such notebook (run this from the notebook's folder, or give its path)",
              file=sys.stderr)
        return 2
    try:
        nb = run(args.notebook)
    except Exception as exc:  # an unreadable file, a kernel that cannot start
        print(f"{args.notebook} could not be run: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}",
              file=sys.stderr)
        return 2
    return 0 if report(tasks(nb)) else 1
