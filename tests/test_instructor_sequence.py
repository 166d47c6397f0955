"""The README's instructor sequence, run as written on a fresh clone of the repository.

The commands are read from the README's instructor table, in its order, with its example
assignment; only the file names are replaced by a Canvas download, a roster and a due date made
here, and the interactive step (`make formgrader`, a server: tests/test_jupyterlab.py) is left
out. A fresh clone has no gradebook, no submissions and no virtual environment of its own: the
test's clone uses this checkout's `.venv`.
"""
from __future__ import annotations

import csv
import os
import re
import shlex
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from grading.synthetic import filled, model_answers, tool_env

ROOT = Path(__file__).resolve().parents[1]
INTERACTIVE = {"make formgrader"}


def readme_commands() -> list[str]:
    """The command column of the README's instructor table, in order."""
    text = (ROOT / "README.md").read_text()
    table = text.split("## Instructors: grading with nbgrader", 1)[1].split("| --- | --- | --- |", 1)[1]
    rows = []
    for line in table.splitlines()[1:]:
        if not line.startswith("|"):
            break
        command = line.split("|")[2].strip().strip("`")
        rows.append(re.sub(r"\s*\[[^]]*\]", "", command))  # optional arguments left out
    return [c for c in rows if c not in INTERACTIVE]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("fresh") / "course"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True, timeout=300)
    (dest / ".venv").symlink_to(ROOT / ".venv")
    # The environment is up to date with the clone's requirements (they are this checkout's): make
    # must not reinstall, which would point the shared environment's `lib` at this temporary clone.
    stamp = (ROOT / ".venv" / ".installed").stat().st_mtime
    for name in ("requirements.txt", "pyproject.toml"):
        os.utime(dest / name, (stamp - 60, stamp - 60))
    return dest


def class_download(clone: Path, assignment: str) -> Path:
    """A Canvas download: one student with the model answers on time, one blank and late."""
    source = nbformat.read(clone / "solutions" / assignment / f"{assignment}.ipynb", 4)
    release = nbformat.read(clone / "exercises" / assignment / f"{assignment}.ipynb", 4)
    path = clone / "submissions.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo(f"ann_101_1_{assignment}.ipynb", (2026, 12, 1, 12, 0, 0)),
                         nbformat.writes(filled(release, model_answers(source))))
        archive.writestr(zipfile.ZipInfo(f"ben_LATE_102_2_{assignment}.ipynb", (2026, 12, 3, 12, 0, 0)),
                         nbformat.writes(release))
    return path


def test_the_readmes_instructor_sequence_works_on_a_fresh_clone_in_order(clone):
    commands = readme_commands()
    assert [c.split()[0:2] for c in commands][:1] == [["make", "release"]], commands
    assignment = re.search(r"ASSIGNMENT=(\w+)", " ".join(commands)).group(1)
    with (clone / "roster.csv").open("w", newline="") as f:
        csv.writer(f).writerows([["id", "first_name", "last_name", "email", "lms_user_id"],
                                 ["ann", "Ann", "Lee", "", "101"], ["cy", "Cy", "Moss", "", "103"]])
    env = {**tool_env(), "MAKEFLAGS": ""}
    env.pop("COURSE_GRADING_SEED", None)
    for command in commands:
        if command.startswith("make collect"):
            class_download(clone, assignment)
        result = subprocess.run(shlex.split(command), cwd=clone, env=env, capture_output=True, text=True,
                                timeout=900)
        assert result.returncode == 0, f"`{command}` failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        assert "pip install" not in result.stdout, "make reinstalled the shared environment"
    with (clone / "grades.csv").open(newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f) if r["assignment"] == assignment}
    assert rows["ann"]["status"] == "pending manual grading"  # her written answers await grading
    assert rows["ben"]["status"] == "graded" and float(rows["ben"]["seconds_late"]) > 0
    assert rows["cy"]["status"] == "no submission"
    canvas = (clone / "grades_canvas.csv").read_text().splitlines()
    assert canvas[0].startswith("Student,ID,SIS User ID,SIS Login ID,Section,")
    assert (clone / "feedback" / "ann" / assignment / f"{assignment}.html").is_file()
    assert (clone / "summary" / f"{assignment}-questions.png").is_file()
