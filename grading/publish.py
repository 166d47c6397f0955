"""What students receive, built from the instructor's repository.

    python -m grading.publish [--out dist]

This repository is the instructor's: it holds ``solutions/`` (model answers and hidden tests),
``HIDDEN_TESTS.md``, the grading code and the gradebook. Students receive

- the site (``make book``: built from ``book/`` only, ``_config.yml`` excludes the rest), and
- ``dist/student/`` (also zipped as ``dist/student.zip``): the release ``exercises/`` (generated
  from ``solutions/`` by ``nbgrader generate_assignment``, which strips the solutions and hidden
  tests), the reference package ``lib`` (the book shows it), ``selfcheck``, and the student's
  ``README.md``, ``requirements.txt``, ``pyproject.toml`` and ``nbgrader_config.py`` from
  ``student/``.

Hand it out as a zip on the LMS, as a student repository (commit ``dist/student/``), or through
the hub's nbgrader exchange (``nbgrader release_assignment``, which sends ``exercises/`` only).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("exercises", "lib", "selfcheck")
IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.egg-info")


def build(out: Path) -> Path:
    """``out/student/`` and ``out/student.zip``; returns the folder."""
    folder = out / "student"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name in SHIPPED:
        shutil.copytree(ROOT / name, folder / name, ignore=IGNORE)
    for path in (ROOT / "student").iterdir():
        shutil.copy(path, folder / path.name)
    shutil.make_archive(str(out / "student"), "zip", root_dir=out, base_dir="student")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    folder = build(args.out)
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    print(f"{folder} ({files} files) and {args.out / 'student.zip'}: what students receive")
    return 0


if __name__ == "__main__":
    sys.exit(main())
