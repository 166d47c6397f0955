"""Collect submissions handed in as a folder: one sub-folder per student.

    python -m grading.collect ASSIGNMENT FOLDER

``FOLDER/<student>/<notebook>.ipynb`` (or ``FOLDER/<student>/<ASSIGNMENT>/<notebook>.ipynb``) is
copied to ``submitted/<student>/<ASSIGNMENT>/``, nbgrader's layout, with a timestamp file. A file
that is not one of the assignment's notebooks is reported and left out. For an LMS download (zip
files named per student) use nbgrader's own ``nbgrader zip_collect`` (see the README).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from grading.course import load_config


def collect(assignment: str, folder: Path, course_dir: Path | None = None, out=sys.stdout) -> list[str]:
    config = load_config(course_dir)
    root = Path(config.CourseDirectory.root)
    expected = {p.name for p in (root / config.CourseDirectory.source_directory / assignment).glob("*.ipynb")}
    if not expected:
        raise SystemExit(f"unknown assignment {assignment!r}: no notebooks in "
                         f"{config.CourseDirectory.source_directory}/{assignment}/")
    if not folder.is_dir():
        raise SystemExit(f"{folder} is not a folder of student sub-folders")
    collected = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        source = student_dir / assignment if (student_dir / assignment).is_dir() else student_dir
        notebooks = sorted(source.glob("*.ipynb"))
        unknown = [p.name for p in notebooks if p.name not in expected]
        wanted = [p for p in notebooks if p.name in expected]
        if unknown:
            print(f"{student_dir.name}: left out {', '.join(unknown)} (the assignment's notebooks are "
                  f"{', '.join(sorted(expected))})", file=out)
        if not wanted:
            print(f"{student_dir.name}: no notebook of {assignment!r} found", file=out)
            continue
        target = root / "submitted" / student_dir.name / assignment
        target.mkdir(parents=True, exist_ok=True)
        for path in wanted:
            shutil.copy2(path, target / path.name)
        (target / "timestamp.txt").write_text(datetime.now(timezone.utc).isoformat())
        collected.append(student_dir.name)
        print(f"{student_dir.name}: collected {', '.join(p.name for p in wanted)}", file=out)
    print(f"{len(collected)} submissions of {assignment!r} collected into submitted/", file=out)
    return collected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    return 0 if collect(args.assignment, args.folder) else 1


if __name__ == "__main__":
    sys.exit(main())
