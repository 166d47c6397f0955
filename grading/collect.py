"""Collect hand-ins into nbgrader's ``submitted/`` folder, from an LMS download or a folder.

    python -m grading.collect ASSIGNMENT SOURCE

SOURCE is a zip file or a folder holding either

- a Canvas "Download Submissions" archive: files named
  ``login[_LATE]_userid_submissionid_name[-N].ext`` (``doejane_LATE_4711_90210_losses-1.ipynb``), or
- one folder per student: ``<student>/<notebook>.ipynb`` or ``<student>/<ASSIGNMENT>/<notebook>.ipynb``.

Each notebook is filed as ``submitted/<student>/<ASSIGNMENT>/<notebook>.ipynb`` with nbgrader's
``timestamp.txt``: the hand-in time (the zip entry's time, or the file's), from which nbgrader's
autograde computes lateness against the assignment's due date. A notebook's name matches in any
case and with Canvas' resubmission suffix ``-N`` or a browser's `` (N)``; of several hand-ins of
one notebook by one student the newest wins (the hand-in time, then Canvas' submission id, then
``N``), and a submission already collected that is newer than the source's is kept. Canvas' user
id becomes the student's ``lms_user_id`` in the gradebook (for ``grades_canvas.csv``).

Every file of SOURCE is either collected or listed with its reason (also written to
``reports/<ASSIGNMENT>/collect.csv``); the exit status is 1 when a file was left out.
Running it again on the same SOURCE changes nothing.

Why not ``nbgrader zip_collect``: its collector keeps a duplicate by timestamp but breaks ties by
file path (Canvas' ``losses-1.ipynb``, the newer one, sorts before ``losses.ipynb``), it logs
skipped files as warnings among many other lines rather than as a list with reasons, its
extraction loses the zip entries' times, and it clears a student's folder before writing, so an
older download collected again replaces a newer hand-in.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Iterator
from zoneinfo import ZoneInfo

from grading.course import api as course_api, assignment_notebooks, load_config

CANVAS_NAME = re.compile(
    r"^(?P<login>[A-Za-z0-9.-]+?)(?P<late>_LATE)?_(?P<user_id>\d+)_(?:(?P<submission_id>\d+)_)?(?P<name>.+)$",
    re.IGNORECASE)
COPY_SUFFIX = re.compile(r"(?:-(?P<dash>\d+)|\s\((?P<paren>\d+)\))$")  # losses-1, losses (1)
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
SYSTEM_FILES = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|\.ipynb_checkpoints/)")


MAX_BYTES = 50 * 2**20  # a notebook larger than this is no hand-in (and is never read)


@dataclass
class Entry:
    """One file of the source: its path inside the source, its bytes and its time (UTC), or why
    it was not read (a link, a file too large)."""
    path: str
    data: bytes
    time: datetime
    unread: str = ""


@dataclass
class Handin:
    entry: Entry
    student: str
    notebook: str  # the assignment's notebook name, as released (e.g. "losses")
    late_mark: bool = False
    lms_user_id: str | None = None
    submission_id: int = 0
    copy: int = 0

    @property
    def newness(self) -> tuple:
        return (self.entry.time, self.submission_id, self.copy)


@dataclass
class Fate:
    path: str
    student: str
    outcome: str  # "collected", "unchanged", "superseded", "ignored", "left out"
    reason: str = ""


def entries(source: Path, tz: ZoneInfo) -> Iterator[Entry]:
    """Every file of a zip or a folder, with its time: a zip entry's time is local time without
    a zone (set by ``c.Collect.zip_timezone``), a file's is its modification time."""
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                time = datetime(*info.date_time, tzinfo=tz).astimezone(timezone.utc)
                if info.file_size > MAX_BYTES:
                    yield Entry(info.filename, b"", time, f"larger than {MAX_BYTES >> 20} MB")
                else:
                    yield Entry(info.filename, archive.read(info), time)
    elif source.is_dir():
        # A link in a shared hand-in folder could file another student's notebook, or a file of
        # the instructor's, as this student's: links are listed, never followed.
        for folder, dirs, files in os.walk(source):
            for name in sorted(files) + sorted(d for d in dirs if (Path(folder) / d).is_symlink()):
                path = Path(folder) / name
                relative = path.relative_to(source).as_posix()
                time = datetime.fromtimestamp(path.lstat().st_mtime, timezone.utc)
                if path.is_symlink() or not path.is_file():
                    yield Entry(relative, b"", time, "a link or special file, not a file: hand in the notebook itself")
                elif path.stat().st_size > MAX_BYTES:
                    yield Entry(relative, b"", time, f"larger than {MAX_BYTES >> 20} MB")
                else:
                    yield Entry(relative, path.read_bytes(), time)
    else:
        raise SystemExit(f"{source} is neither a zip file nor a folder: give the LMS download "
                         f"(.zip) or a folder of student folders")


def notebook_name(filename: str, assignment: str, notebooks: dict[str, str]) -> tuple[str, int] | str:
    """(released notebook name, copy number) for a handed-in file name, or why it is not one."""
    stem, dot, ext = filename.rpartition(".")
    if not dot or ext.lower() != "ipynb":
        return f"not a notebook (.{ext.lower()}): the assignment is handed in as .ipynb" if dot \
            else "not a notebook (no .ipynb extension)"
    copy = 0
    if match := COPY_SUFFIX.search(stem):
        copy = int(match["dash"] or match["paren"])
        stem = stem[:match.start()]
    name = notebooks.get(stem.lower())
    if name is None:
        return (f"{filename} is not a notebook of {assignment!r} "
                f"(expected {', '.join(sorted(n + '.ipynb' for n in notebooks.values()))})")
    return name, copy


def parse(entry: Entry, assignment: str, notebooks: dict[str, str]) -> Handin | str:
    """The hand-in a file is, or why it is none."""
    parts = PurePosixPath(entry.path).parts
    if len(parts) > 1:  # <student>/<notebook> or <student>/<assignment>/<notebook>
        if len(parts) > 3 or (len(parts) == 3 and parts[1] != assignment):
            return f"not in <student>/{assignment}/<notebook>.ipynb nor <student>/<notebook>.ipynb"
        student, fields = parts[0], {}
    else:
        match = CANVAS_NAME.match(parts[0])
        if not match:
            return ("name not in Canvas' form login[_LATE]_userid_submissionid_file, and not in a "
                    "student's folder")
        student, fields = match["login"], match.groupdict()
    if not STUDENT_ID.match(student):
        return f"{student!r} cannot be a student id (letters, digits, '.', '_', '-')"
    name = notebook_name(fields.get("name") or parts[-1], assignment, notebooks)
    if isinstance(name, str):
        return name
    return Handin(entry, student, name[0], late_mark=bool(fields.get("late")),
                  lms_user_id=fields.get("user_id"), submission_id=int(fields.get("submission_id") or 0),
                  copy=name[1])


def newest(handins: list[Handin]) -> tuple[dict[tuple[str, str], Handin], list[Handin]]:
    """The newest hand-in of each (student, notebook), and the ones it supersedes."""
    chosen: dict[tuple[str, str], Handin] = {}
    for h in sorted(handins, key=lambda h: h.newness):
        chosen[(h.student, h.notebook)] = h
    kept = set(map(id, chosen.values()))
    return chosen, [h for h in handins if id(h) not in kept]


def read_timestamp(folder: Path) -> datetime | None:
    from nbgrader.utils import parse_utc

    path = folder / "timestamp.txt"
    try:
        time = parse_utc(path.read_text().strip())  # naive, in UTC
    except (OSError, ValueError):
        return None
    return time.replace(tzinfo=timezone.utc)


def file_student(target: Path, handins: list[Handin]) -> str:
    """Write one student's hand-ins into their submitted folder; 'collected', 'unchanged', or
    'kept' when the submission already there is newer."""
    time = max(h.entry.time for h in handins)
    existing = read_timestamp(target)
    if existing is not None and existing > time:
        return "kept"
    if existing == time and all((target / f"{h.notebook}.ipynb").is_file()
                                and (target / f"{h.notebook}.ipynb").read_bytes() == h.entry.data
                                for h in handins):
        return "unchanged"
    target.mkdir(parents=True, exist_ok=True)
    for h in handins:
        (target / f"{h.notebook}.ipynb").write_bytes(h.entry.data)
    (target / "timestamp.txt").write_text(time.isoformat(" "))
    return "collected"


def late_note(handins: list[Handin], due: datetime | None) -> str:
    time = max(h.entry.time for h in handins)
    marked = any(h.late_mark for h in handins)
    if due is not None and time > due:
        hours = (time - due).total_seconds() / 3600
        return f"LATE by {hours:.1f} h"
    if marked and due is None:
        return "Canvas marks it LATE, but the assignment has no due date in the gradebook: set one " \
               "with `nbgrader db assignment add A --duedate=...` for nbgrader to apply the penalty"
    if marked:
        return "Canvas marks it LATE, but it was handed in before the gradebook's due date " \
               "(an extension?): not late for nbgrader"
    return ""


def collect(assignment: str, source: Path, course_dir: Path | None = None, out=sys.stdout) -> list[Fate]:
    config = load_config(course_dir)
    root = Path(config.CourseDirectory.root)
    released = {p.stem.lower(): p.stem for p in assignment_notebooks(assignment, config)}
    tz = ZoneInfo(config.get("Collect", {}).get("zip_timezone", "UTC"))
    fates: list[Fate] = []
    handins: list[Handin] = []
    for entry in entries(source, tz):
        if SYSTEM_FILES.search(entry.path):
            fates.append(Fate(entry.path, "", "ignored", "a file the operating system adds to archives"))
        elif entry.unread:
            fates.append(Fate(entry.path, "", "left out", entry.unread))
        elif isinstance(parsed := parse(entry, assignment, released), str):
            fates.append(Fate(entry.path, "", "left out", parsed))
        else:
            handins.append(parsed)
    chosen, superseded = newest(handins)
    for h in superseded:
        winner = chosen[(h.student, h.notebook)]
        fates.append(Fate(h.entry.path, h.student, "superseded", f"a newer hand-in: {winner.entry.path}"))

    api = course_api(course_dir)
    due = _due_date(api, assignment)
    by_student: dict[str, list[Handin]] = {}
    for h in chosen.values():
        by_student.setdefault(h.student, []).append(h)
    submitted = root / api.coursedir.submitted_directory
    with api.gradebook as gb:
        for student, own in sorted(by_student.items()):
            ids = {h.lms_user_id for h in own if h.lms_user_id}
            if ids:
                gb.update_or_create_student(student, lms_user_id=ids.pop())
            else:
                gb.update_or_create_student(student)
            outcome = file_student(submitted / student / assignment, own)
            note = late_note(own, due)
            for h in own:
                if outcome == "kept":
                    fates.append(Fate(h.entry.path, student, "superseded",
                                      "the submission already collected is newer"))
                else:
                    fates.append(Fate(h.entry.path, student, outcome, note))
    report(fates, assignment, root / "reports" / assignment / "collect.csv", out)
    return fates


def _due_date(api, assignment: str) -> datetime | None:
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            due = gb.find_assignment(assignment).duedate
        except MissingEntry:
            return None
    return due.replace(tzinfo=timezone.utc) if due is not None else None


def report(fates: list[Fate], assignment: str, path: Path, out) -> None:
    for f in sorted(fates, key=lambda f: (f.outcome == "left out", f.student, f.path)):
        who = f"{f.student}: " if f.student else ""
        why = f" — {f.reason}" if f.reason else ""
        print(f"{f.outcome:>10}  {who}{f.path}{why}", file=out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "student", "outcome", "reason"])
        writer.writerows([f.path, f.student, f.outcome, f.reason] for f in fates)
    students = {f.student for f in fates if f.outcome in ("collected", "unchanged")}
    left_out = sum(f.outcome == "left out" for f in fates)
    print(f"\n{len(students)} students' submissions of {assignment!r} in submitted/; "
          f"{left_out} file(s) left out (listed above and in {path})", file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("source", type=Path, help="the LMS download (.zip) or a folder of hand-ins")
    args = parser.parse_args(argv)
    fates = collect(args.assignment, args.source)
    return 1 if any(f.outcome == "left out" for f in fates) or not fates else 0


if __name__ == "__main__":
    sys.exit(main())
