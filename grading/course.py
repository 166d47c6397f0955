"""The course directory as nbgrader sees it: config loaded from ``nbgrader_config.py``."""
from __future__ import annotations

import os
import re
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


def load_config(course_dir: str | os.PathLike | None = None) -> Config:
    """The nbgrader config of the course in ``course_dir`` (default: the current folder),
    read as nbgrader's own commands read it."""
    folder = Path(course_dir or Path.cwd()).resolve()
    if not (folder / "nbgrader_config.py").is_file():
        raise SystemExit(
            f"no nbgrader_config.py in {folder}: run this from the course's root folder")
    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()
    except Exception as exc:  # nbgrader's own commands would go on with its defaults: refuse
        raise SystemExit(f"{folder / 'nbgrader_config.py'} could not be loaded ({type(exc).__name__}: "
                         f"{first_line(exc)}): fix it first; without it nbgrader grades unsandboxed and shows "
                         f"hidden tests in feedback") from None


def api(course_dir: str | os.PathLike | None = None):
    """nbgrader's own API object for the course (quietly: no exchange is needed here)."""
    from nbgrader.apps import NbGraderAPI

    config = load_config(course_dir)
    config.Exchange.root = str(Path(course_dir or Path.cwd()).resolve() / ".exchange")
    return NbGraderAPI(config=config)


def assignment_notebooks(assignment: str, config: Config) -> list[Path]:
    """The source notebooks of ``assignment``; exits with the list of assignments when there is
    no such assignment (a typo)."""
    source = Path(config.CourseDirectory.root) / config.CourseDirectory.source_directory
    notebooks = sorted((source / assignment).glob("*.ipynb"))
    if not notebooks:
        known = sorted(p.name for p in source.iterdir() if p.is_dir()) if source.is_dir() else []
        raise SystemExit(f"unknown assignment {assignment!r}: the assignments are {', '.join(known)}")
    return notebooks


EXCEPTION_LINE = re.compile(r"^\s*[\w.]*(Error|Exception): ")


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def nbgrader_cause(result: dict, fallback: str) -> str:
    """The one line that says why an nbgrader API call failed: the last exception line of its
    error or log (never the traceback), else ``fallback``."""
    lines = (result.get("error") or result.get("log") or "").strip().splitlines()
    return next((ln.strip() for ln in reversed(lines) if EXCEPTION_LINE.match(ln)), fallback)[:300]


def students_with(folder: Path, assignment: str) -> list[str]:
    """The students that have a ``<student>/<assignment>/`` folder in ``folder`` (nbgrader's
    submitted/, autograded/, ...), sorted."""
    return sorted(p.parent.name for p in folder.glob(f"*/{assignment}") if p.is_dir())
