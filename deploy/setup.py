"""Prepare one machine for the course's hub (run by ``deploy/jupyterhub_config.py`` as root at
every start; idempotent). Everything lives in one folder, ``COURSE_HUB_DIR``:

    <dir>/                  0755 root
      state/                0700 root: the hub's database, cookie secret (nothing a user reads)
      exchange/             1777: nbgrader's exchange (nbgrader documents ``chmod ugo+rw``; the
                            sticky bit keeps a student from renaming the instructor's folders)
      config/student/       0755 root: Jupyter config of students' servers (exchange, course;
                            no formgrader)
      config/instructor/    0755 root: the instructor's (exchange; formgrader framed by the lab)
      students.txt          0644 root: the class list, one hub user name a line

and the instructor's course, a copy of this repository's nbgrader folders, in
``/home/<instructor>/course`` (0700, the instructor's): the source with hidden tests, the
gradebook and every submission stay out of students' reach. An existing course is never
overwritten (it holds the gradebook).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from deploy import accounts

REPO = Path(__file__).resolve().parents[1]
COURSE_ID = "nn-foundations"  # as nbgrader_config.py names it
COURSE_FILES = ["nbgrader_config.py", "grading", "solutions", "exercises"]


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, str(default))
    try:
        return float(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not a number; set it to e.g. {default}") from None


@dataclass
class Settings:
    """The hub's settings, from the environment (``make hub`` passes them; defaults in brackets)."""

    dir: Path = Path("/srv/course-hub")        # COURSE_HUB_DIR
    ip: str = "127.0.0.1"                      # COURSE_HUB_IP
    port: int = 8000                           # COURSE_HUB_PORT (the hub's own API: port + 1,
                                               # the proxy's API: port + 2)
    instructor: str = "instructor"             # COURSE_HUB_INSTRUCTOR
    auth: str = "native"                       # COURSE_HUB_AUTH: native, or dummy (tests only)
    mem_limit: str = "2G"                      # COURSE_HUB_MEM_LIMIT, per server
    cpu_limit: float = 1.0                     # COURSE_HUB_CPU_LIMIT, cores per server
    cull_timeout: int = 3600                   # COURSE_HUB_CULL_TIMEOUT, seconds idle
    cgroup: str = "course-hub"                 # COURSE_HUB_CGROUP, parent control group
    students: set[str] = field(default_factory=set)  # read from <dir>/students.txt

    @classmethod
    def from_env(cls) -> "Settings":
        e = os.environ
        s = cls(dir=Path(e.get("COURSE_HUB_DIR", cls.dir)), ip=e.get("COURSE_HUB_IP", cls.ip),
                port=int(_env_float("COURSE_HUB_PORT", cls.port)),
                instructor=e.get("COURSE_HUB_INSTRUCTOR", cls.instructor),
                auth=e.get("COURSE_HUB_AUTH", cls.auth),
                mem_limit=e.get("COURSE_HUB_MEM_LIMIT", cls.mem_limit),
                cpu_limit=_env_float("COURSE_HUB_CPU_LIMIT", cls.cpu_limit),
                cull_timeout=int(_env_float("COURSE_HUB_CULL_TIMEOUT", cls.cull_timeout)),
                cgroup=e.get("COURSE_HUB_CGROUP", cls.cgroup))
        if s.auth not in ("native", "dummy"):
            raise SystemExit(f"COURSE_HUB_AUTH={s.auth!r}: use 'native' (or 'dummy' in tests)")
        roster = s.dir / "students.txt"
        if roster.exists():
            s.students = {line.strip() for line in roster.read_text().splitlines()
                          if line.strip() and not line.startswith("#")}
        return s

    @property
    def exchange(self) -> Path:
        return self.dir / "exchange"

    @property
    def course(self) -> Path:
        return Path("/home") / self.instructor / "course"

    def config(self, role: str) -> Path:
        return self.dir / "config" / role


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o644)


def nbgrader_config(s: Settings) -> str:
    return (f"# written by deploy/setup.py\nc = get_config()  # noqa: F821\n"
            f"c.Exchange.root = {str(s.exchange)!r}\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")


def write_configs(s: Settings) -> None:
    for role in ("student", "instructor"):
        folder = s.config(role)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        _write(folder / "nbgrader_config.py", nbgrader_config(s))
    # Students: no formgrader (nbgrader's advice: it only confuses them).
    _write(s.config("student") / "jupyter_server_config.json", json.dumps(
        {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": False}}},
        indent=1))
    # The instructor: JupyterHub >= 4.1 sends "frame-ancestors 'none'" from every server, which
    # blanks the formgrader tab of JupyterLab (an iframe; jupyter/nbgrader#1870). Only the
    # instructor's server lets its own origin frame it; students' servers keep 'none'.
    _write(s.config("instructor") / "jupyter_server_config.json", json.dumps(
        {"ServerApp": {"tornado_settings": {"headers": {
            "Content-Security-Policy": "frame-ancestors 'self'"}}}}, indent=1))


def copy_course(s: Settings) -> None:
    """The instructor's course folder: this repository's nbgrader folders, theirs, 0700."""
    entry = accounts.ensure_user(s.instructor)
    if s.course.exists():
        return
    s.course.mkdir()
    for name in COURSE_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, s.course / name,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, s.course / name)
    subprocess.run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(s.course)], check=True)
    s.course.chmod(0o700)


def prepare(s: Settings) -> None:
    if os.geteuid() != 0:
        raise SystemExit("the hub runs as root (it starts each user's server as that user): "
                         "run `sudo make hub`")
    s.dir.mkdir(parents=True, exist_ok=True)
    s.dir.chmod(0o755)
    (s.dir / "state").mkdir(exist_ok=True)
    (s.dir / "state").chmod(0o700)
    s.exchange.mkdir(exist_ok=True)
    s.exchange.chmod(0o1777)
    roster = s.dir / "students.txt"
    if not roster.exists():
        _write(roster, "# one student a line: the name they sign up with at /hub/signup\n")
    write_configs(s)
    copy_course(s)
