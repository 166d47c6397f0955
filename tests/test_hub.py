"""The course on a real JupyterHub, over HTTP, end to end (deploy/; README, "Running the course
on a JupyterHub").

A throwaway hub (the real ``deploy/jupyterhub_config.py``, as root, on 127.0.0.1; users named
with a unique prefix): the instructor releases an assignment from the formgrader; three students
log in, fetch it, work it (model answers, partial, blank) and submit; the instructor collects,
autogrades (in the bubblewrap sandbox), generates and releases feedback; each student fetches
their feedback. The flow runs once (the ``run`` fixture); each test checks one property of it,
and the last that nothing of it is left once the hub is stopped.
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from deploy import cgroups
from deploy.trial import PROXY, Browser, TrialHub, processes_of
from grading.synthetic import filled, model_answers

ROOT = Path(__file__).resolve().parents[1]
COURSE, ASSIGNMENT = "nn-foundations", "activations"

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the hub creates Unix users and runs servers as them: root only "
                              "(CI runs as root)")
pytestmark = [needs_root]


@dataclass
class Run:
    """What the flow produced, for the tests to check."""
    hub: object
    students: dict[str, str]                       # role -> hub user name
    browsers: dict[str, object] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)   # hub name -> autograded points
    max_score: float = 0.0
    feedback: dict[str, list[str]] = field(default_factory=dict)  # name -> feedback HTML files
    server_pids: dict[str, int] = field(default_factory=dict)
    side_pids: list[int] = field(default_factory=list)
    escaped: bool = False   # a file the partial work wrote from inside grading exists


def work(release: dict, role: str, escape_to: Path) -> dict:
    """A student's notebook: the model answers, the first task only (and, in the next answer
    cell, code that tries to leave the grading sandbox), or untouched."""
    source = nbformat.read(ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    answers = model_answers(source)
    nb = nbformat.from_dict(release)
    if role == "model":
        return filled(nb, answers)
    if role == "partial":
        code = [g for g, a in answers.items() if "def " in a]
        return filled(nb, {code[0]: answers[code[0]],
                           code[1]: f"open({str(escape_to)!r}, 'w').write('out')\n"
                                    "raise NotImplementedError()"})
    return nb


def as_user(name: str, *argv: str) -> subprocess.CompletedProcess:
    """``argv`` run with the uid, gid and groups of the Unix user ``name`` (as a student's own
    code in their server would)."""
    entry = pwd.getpwnam(name)
    return subprocess.run(argv, user=entry.pw_uid, group=entry.pw_gid, extra_groups=[],
                          capture_output=True, text=True, cwd="/")


def server_pid(name: str) -> int:
    """The pid of ``name``'s single-user server."""
    uid = pwd.getpwnam(name).pw_uid
    for pid in processes_of({uid}):
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if any(part.endswith(b"jupyterhub-singleuser") for part in cmdline):
            return pid
    raise AssertionError(f"no server process of {name}")


@pytest.fixture(scope="module")
def run():
    assert PROXY.exists(), "configurable-http-proxy is missing: run `make hub-proxy` (npm ci)"
    assert shutil.which("bwrap"), "bubblewrap is missing: run `make sandbox`"
    hub = TrialHub()
    roles = {"model": hub.user("ada"), "partial": hub.user("bo"), "blank": hub.user("cy")}
    r = Run(hub=hub, students=roles)
    try:
        hub.start(list(roles.values()))
        r.side_pids = hub.side_pids()
        teach = r.browsers["instructor"] = Browser(hub.url, hub.instructor, hub.password)
        teach.start_server()
        for step in ("assign", "release"):
            out = teach.formgrader(f"assignment/{ASSIGNMENT}/{step}")
            assert out["success"], out
        escape = hub.dir / "exchange" / "escaped-from-grading"
        for role, name in roles.items():
            b = r.browsers[role] = Browser(hub.url, name, hub.password)
            b.start_server()
            assert b.nbgrader("fetch", COURSE, ASSIGNMENT)["success"]
            path = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
            b.put_notebook(path, work(b.notebook(path), role, escape))
            assert b.nbgrader("submit", COURSE, ASSIGNMENT)["success"]
        r.server_pids = {n: server_pid(n) for n in [hub.instructor, *roles.values()]}
        assert teach.formgrader(f"assignment/{ASSIGNMENT}/collect")["success"]
        for name in roles.values():
            out = teach.formgrader(f"submission/{ASSIGNMENT}/{name}/autograde")
            assert out["success"], out
        r.escaped = escape.exists()
        for sub in teach.get(f"/formgrader/api/submissions/{ASSIGNMENT}").json():
            r.scores[sub["student"]] = sub["code_score"]  # written answers await the
            r.max_score = sub["max_code_score"]          # instructor in the formgrader
        for step in ("generate_feedback", "release_feedback"):
            out = teach.formgrader(f"assignment/{ASSIGNMENT}/{step}")
            assert out["success"], out
        for role, name in roles.items():
            b = r.browsers[role]
            assert b.nbgrader("fetch_feedback", COURSE, ASSIGNMENT)["success"]
            folder = Path(pwd.getpwnam(name).pw_dir) / ASSIGNMENT / "feedback"
            r.feedback[name] = sorted(str(p) for p in folder.rglob("*.html"))
        yield r
    except Exception:
        hub.stop()
        raise AssertionError(f"the hub's log:\n{hub.final_log}")
    finally:
        hub.stop()


def test_students_are_graded_under_their_hub_user_names(run):
    teach = run.browsers["instructor"]
    students = {s["id"] for s in teach.get("/formgrader/api/students").json()}
    assert students == set(run.students.values())
    submitted = Path(pwd.getpwnam(run.hub.instructor).pw_dir) / "course" / "submitted"
    assert {p.name for p in submitted.iterdir()} == set(run.students.values())
    assert "jovyan" not in students and "root" not in students


def test_autograding_scores_model_partial_and_blank_work_in_order(run):
    s = {role: run.scores[name] for role, name in run.students.items()}
    assert s["model"] == run.max_score > 0
    assert 0 < s["partial"] < s["model"]
    assert s["blank"] == 0


def test_a_submission_cannot_write_outside_the_grading_sandbox(run):
    # the partial work tried to write into the (world-writable) exchange while being graded
    assert not run.escaped


def test_each_student_fetches_only_their_own_feedback(run):
    for name, files in run.feedback.items():
        assert len(files) == 1, files
        html = Path(files[0]).read_text()
        assert "BEGIN HIDDEN TESTS" not in html  # feedback never shows hidden-test source
        total = re.search(r"<h1[^>]*>[^<:]*: ([\d.]+) / [\d.]+ points", html)  # the notebook's score
        assert float(total.group(1)) == run.scores[name]
    # the feedback folder of the exchange cannot be listed by a student
    ada = run.students["model"]
    listing = as_user(ada, "ls", str(run.hub.dir / "exchange" / COURSE / "feedback"))
    assert listing.returncode != 0 and "Permission denied" in listing.stderr


@pytest.mark.parametrize("what", ["another student's home", "another student's notebook",
                                  "the instructor's course", "the gradebook",
                                  "the solutions with hidden tests", "the exchange's inbound"])
def test_a_student_cannot_read(run, what):
    bo, ada, teach = run.students["partial"], run.students["model"], run.hub.instructor
    course = Path(pwd.getpwnam(teach).pw_dir) / "course"
    target = {
        "another student's home": ["ls", pwd.getpwnam(ada).pw_dir],
        "another student's notebook": ["cat", f"{pwd.getpwnam(ada).pw_dir}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"],
        "the instructor's course": ["ls", str(course)],
        "the gradebook": ["cat", str(course / "gradebook.db")],
        "the solutions with hidden tests": ["cat", str(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")],
        "the exchange's inbound": ["ls", str(run.hub.dir / "exchange" / COURSE / "inbound")],
    }[what]
    assert Path(target[1]).exists() or what == "the exchange's inbound"
    out = as_user(bo, *target)
    assert out.returncode != 0 and "Permission denied" in out.stderr, out


def test_a_student_cannot_rename_the_instructors_exchange_folder(run):
    course = run.hub.dir / "exchange" / COURSE
    out = as_user(run.students["blank"], "mv", str(course), str(course) + "-moved")
    assert out.returncode != 0 and course.is_dir()


def test_a_students_browser_cannot_reach_another_students_server(run):
    bo, ada = run.browsers["partial"], run.students["model"]
    r = bo.s.get(f"{run.hub.url}/user/{ada}/api/contents/{ASSIGNMENT}", timeout=60)
    assert r.status_code == 403
    r = bo.get(f"/api/contents/%2E%2E/{ada}")  # out of bo's own server's root folder
    assert r.status_code == 404


def test_the_formgrader_loads_in_the_instructors_lab_and_not_for_students(run):
    teach = run.browsers["instructor"]
    page = teach.get("/formgrader/manage_assignments")
    assert page.status_code == 200 and ASSIGNMENT in teach.get("/formgrader/api/assignments").text
    # JupyterLab shows the formgrader in a frame of its own page: same origin allowed
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    student = run.browsers["model"]
    assert student.get("/formgrader/manage_assignments").status_code == 404
    assert "frame-ancestors 'none'" in student.get("/lab").headers["Content-Security-Policy"]


# Runs in a page of the hub: puts ``src`` in a frame and says what the frame shows once it
# shows ``expected`` (or after 30 s).
FRAME = """
const [src, expected, done] = arguments;
const frame = document.createElement('iframe');
const shown = () => {
  try { return frame.contentDocument.title + ' | ' + frame.contentDocument.body.innerText; }
  catch (e) { return 'blocked: ' + e; }
};
frame.onload = () => {
  const start = Date.now();
  const poll = () => {
    const now = shown();
    if (!now || now.startsWith('blocked') || now.includes(expected) || Date.now() - start > 30000) {
      done(now || 'blocked: empty frame');
    } else { setTimeout(poll, 200); }
  };
  poll();
};
frame.src = src;
document.body.appendChild(frame);
setTimeout(() => done('blocked: no load in 60 s'), 60000);
"""


def log_in(browser, hub, name: str) -> None:
    from selenium.webdriver.common.by import By
    browser.get(f"{hub.url}/hub/logout")  # whoever was logged in before
    browser.get(f"{hub.url}/hub/login")
    browser.find_element(By.ID, "username_input").send_keys(name)
    browser.find_element(By.ID, "password_input").send_keys(hub.password)
    browser.find_element(By.ID, "login_submit").click()
    browser.get(f"{hub.url}/user/{name}/lab")  # through the hub's OAuth to the server's page
    assert browser.current_url.startswith(f"{hub.url}/user/{name}/lab"), browser.current_url


def test_the_formgrader_renders_in_a_frame_of_the_instructors_lab_in_a_real_browser(run, browser):
    teach = run.hub.instructor
    log_in(browser, run.hub, teach)
    shown = browser.execute_async_script(FRAME, f"/user/{teach}/formgrader/manage_assignments",
                                         ASSIGNMENT)
    assert shown.startswith("nbgrader formgrade") and "Manage Assignments" in shown, shown
    assert ASSIGNMENT in shown


def test_a_students_server_refuses_to_be_framed_in_a_real_browser(run, browser):
    ada = run.students["model"]
    log_in(browser, run.hub, ada)
    shown = browser.execute_async_script(FRAME, f"/user/{ada}/api/contents/{ASSIGNMENT}", ASSIGNMENT)
    assert shown.startswith("blocked"), shown


def test_each_server_runs_with_a_memory_and_cpu_limit(run):
    version = cgroups.version()
    for name, pid in run.server_pids.items():
        group = cgroups.Group(run.hub.prefix, name, version)
        assert pid in group.pids(), f"{name}'s server is not in its control group"
        if version == 2:
            assert group._file("memory", "memory.max").read_text().strip() == str(2**30)
            assert group._file("cpu", "cpu.max").read_text().split()[0] == "100000"
        else:
            assert int(group._file("memory", "memory.limit_in_bytes").read_text()) == 2**30
            assert group._file("cpu", "cpu.cfs_quota_us").read_text().strip() == "100000"


def test_the_idle_culler_runs_as_a_hub_service(run):
    services = run.browsers["instructor"].hub_api("GET", "/services").json()
    assert "idle-culler" in services
    cmdlines = [Path(f"/proc/{p}/cmdline").read_bytes() for p in run.side_pids
                if Path(f"/proc/{p}/cmdline").exists()]
    assert any(b"jupyterhub_idle_culler" in c for c in cmdlines)


def test_nothing_is_left_once_the_hub_stops(run):
    hub = run.hub
    uids = {p.pw_uid for p in hub.users()}
    homes = [p.pw_dir for p in hub.users()]
    assert len(uids) == 4  # three students and the instructor
    hub.stop()
    assert not processes_of(uids)
    for pid in [hub.proc.pid, *run.side_pids, *run.server_pids.values()]:
        assert not Path(f"/proc/{pid}").exists() or b"zombie" in Path(f"/proc/{pid}/status").read_bytes()
    assert not hub.users()
    assert not any(Path(h).exists() for h in homes)
    assert not hub.dir.exists()
    version = cgroups.version()
    assert not cgroups.Group(hub.prefix, "x", version).dirs[0].parent.exists()
