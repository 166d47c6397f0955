"""Private copies of the course and synthetic submissions, for trying grading out safely.

Used by the grading tests and the grading benchmark; handy for an instructor who wants to see
what a submission would score before the class hands in.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_MARKS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)
IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")


def tool_env() -> dict[str, str]:
    """The environment with this Python's bin folder first on PATH: nbgrader runs alembic, and
    jupyter its extensions, by name."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def copy_course(dest: Path, folders: tuple[str, ...] = ("solutions",)) -> Path:
    """nbgrader_config.py, the grading helpers and ``folders`` copied into ``dest``: a course of
    its own (the config derives the course root from its own location), with its own gradebook."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", dest)
    shutil.copytree(ROOT / "grading", dest / "grading", ignore=IGNORE, dirs_exist_ok=True)
    for folder in folders:
        shutil.copytree(ROOT / folder, dest / folder, ignore=IGNORE, dirs_exist_ok=True)
    return dest


def model_answers(source: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id -> the model answer of each answer cell of an nbgrader source notebook."""
    return {c.metadata["nbgrader"]["grade_id"]: SOLUTION_MARKS.sub("", c.source)
            for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}


def filled(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the release with the answer cells named in ``answers`` filled in."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(release), as_version=4))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def solved_release(assignment: str, root: Path = ROOT) -> nbformat.NotebookNode:
    """The student release of ``assignment`` as a student who wrote the model answers hands it in."""
    name = f"{assignment}.ipynb"
    source = nbformat.read(root / "solutions" / assignment / name, 4)
    release = nbformat.read(root / "exercises" / assignment / name, 4)
    return filled(release, model_answers(source))
