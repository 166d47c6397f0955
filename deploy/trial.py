"""A throwaway hub on 127.0.0.1 and a browser-like client for it: what the end-to-end test and
the load benchmark drive.

``TrialHub`` runs ``deploy/jupyterhub_config.py`` (the real configuration) as root in a private
folder, with every Unix user and control group named with a unique prefix, and on ``stop`` ends
every process it started by pid (the hub, the proxy, the culler, each server and what the
server started) and removes the users, their homes and the folder. ``Browser`` speaks HTTP to
the hub as a browser does: the login form, cookies, the XSRF token, the OAuth redirects to each
server; nbgrader's student and formgrader endpoints on top.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from deploy import accounts, cgroups

REPO = Path(__file__).resolve().parents[1]
PROXY = REPO / "node_modules" / ".bin" / "configurable-http-proxy"


def free_port_block(size: int = 3) -> int:
    """A port p with p .. p+size-1 free on 127.0.0.1 (the proxy, the hub, the proxy's API)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + size < 65536 and all(_free(base + i) for i in range(1, size)):
            return base
    raise RuntimeError("no block of free ports on 127.0.0.1")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def started(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot), None if it is gone: with the pid, the
    identity of a process (a pid alone may be reused by another process once it has ended)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (FileNotFoundError, ProcessLookupError):
        return None


def _stop_pid(pid: int, timeout: float = 30, start: int | None = None) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds, and wait until ``pid`` is gone; only
    while it is the process that started at ``start`` (when given)."""
    if start is not None and started(pid) != start:
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _alive(pid):
            return


def processes_of(uids: set[int]) -> list[int]:
    """Pids of the processes running as any of ``uids``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    found.append(int(entry.name))
            except FileNotFoundError:
                pass
    return found


class TrialHub:
    """The course's hub in a private folder, users named ``<prefix>-...``; a context manager."""

    def __init__(self, prefix: str | None = None, cull_timeout: int = 3600,
                 mem_limit: str = "1G", cpu_limit: float = 1.0, auth: str = "dummy"):
        self.prefix = prefix or f"hb{secrets.token_hex(3)}"
        self.password = secrets.token_urlsafe(12)
        self.instructor = self.user("teach")
        self.port = free_port_block()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix=f"{self.prefix}-"))
        self.env = {
            **os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "COURSE_HUB_DIR": str(self.dir), "COURSE_HUB_PORT": str(self.port),
            "COURSE_HUB_INSTRUCTOR": self.instructor, "COURSE_HUB_AUTH": auth,
            "COURSE_HUB_DUMMY_PASSWORD": self.password, "COURSE_HUB_CGROUP": self.prefix,
            "COURSE_HUB_MEM_LIMIT": mem_limit, "COURSE_HUB_CPU_LIMIT": str(cpu_limit),
            "COURSE_HUB_CULL_TIMEOUT": str(cull_timeout),
        }
        self.proc: subprocess.Popen | None = None
        self.final_log = ""
        self.log = self.dir / "hub.log"

    def user(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def start(self, students: list[str], timeout: float = 60) -> "TrialHub":
        self.dir.chmod(0o755)  # users' servers read their config folder inside it
        (self.dir / "students.txt").write_text("\n".join(students) + "\n")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(REPO / "deploy" / "jupyterhub_config.py")],
                cwd=self.dir, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the hub did not answer within {timeout} s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def side_pids(self) -> list[int]:
        """The pids of the hub's children (the proxy, the culler, servers running)."""
        pids = []
        state = self.dir / "state" / "proxy.pid"
        if state.exists():
            pids.append(int(state.read_text().strip()))
        if self.proc is not None:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
            if children.exists():
                pids += [int(p) for p in children.read_text().split()]
        return sorted(set(pids))

    def users(self) -> list[pwd.struct_passwd]:
        return [p for p in pwd.getpwall() if p.pw_name.startswith(f"{self.prefix}-")]

    def stop(self) -> None:
        """Stop the hub (it stops every server), then by pid whatever is left; remove the
        users, their homes, the control groups and the folder."""
        side = {pid: started(pid) for pid in self.side_pids()}
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # the hub stops its servers, the culler and the proxy
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid, start in side.items():
            if start is not None:
                _stop_pid(pid, timeout=5, start=start)
        uids = {p.pw_uid for p in self.users()}
        for pid in processes_of(uids):
            _stop_pid(pid, timeout=5, start=started(pid))
        version = cgroups.version()
        for entry in self.users():
            if version is not None:
                group = cgroups.Group(self.prefix, entry.pw_name, version)
                group.kill_all()
                group.remove()
            accounts.remove_user(entry.pw_name)
        if self.log.exists():
            self.final_log = self.tail(200)  # for a failing test's message
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "TrialHub":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Browser:
    """One person's browser on the hub: cookies, XSRF tokens, redirects followed."""

    def __init__(self, hub_url: str, name: str, password: str, sign_up: bool = False):
        self.hub, self.name = hub_url, name
        self.server = f"{hub_url}/user/{name}"
        self.s = requests.Session()
        if sign_up:  # NativeAuthenticator's form
            self.s.get(f"{hub_url}/hub/signup", timeout=30).raise_for_status()
            self.s.post(f"{hub_url}/hub/signup", timeout=60, data={
                "username": name, "signup_password": password,
                "signup_password_confirmation": password, "_xsrf": self._xsrf("/hub/")},
            ).raise_for_status()
        self.s.get(f"{hub_url}/hub/login", timeout=30).raise_for_status()
        r = self.s.post(f"{hub_url}/hub/login", timeout=60, allow_redirects=False,
                        data={"username": name, "password": password, "_xsrf": self._xsrf("/hub/")})
        if r.status_code != 302:
            raise PermissionError(f"login of {name} refused ({r.status_code})")

    def _xsrf(self, path: str) -> str:
        for cookie in self.s.cookies:
            if cookie.name == "_xsrf" and cookie.path.rstrip("/") == path.rstrip("/"):
                return cookie.value
        return ""

    def hub_api(self, method: str, path: str, **kw) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf("/hub/")}
        return self.s.request(method, f"{self.hub}/hub/api{path}", headers=headers, timeout=60, **kw)

    def start_server(self, timeout: float = 300) -> float:
        """Start this user's server as the hub's spawn page does; seconds until it answers."""
        t0 = time.monotonic()
        r = self.hub_api("POST", f"/users/{self.name}/server")
        if r.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"spawn of {self.name}: {r.status_code} {r.text[:300]}")
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            model = self.hub_api("GET", f"/users/{self.name}").json()
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                break
            if not model.get("pending") and not server:
                raise RuntimeError(f"the server of {self.name} failed to start")
            time.sleep(0.5)
        else:
            raise TimeoutError(f"the server of {self.name} did not start in {timeout} s")
        # open the lab page: the OAuth redirects give this browser the server's cookies
        self.s.get(f"{self.server}/lab", timeout=60).raise_for_status()
        return time.monotonic() - t0

    def get(self, path: str, **kw) -> requests.Response:
        return self.s.get(f"{self.server}{path}", timeout=120, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        headers = {"X-XSRFToken": self._xsrf(f"/user/{self.name}/")}
        return self.s.post(f"{self.server}{path}", headers=headers, timeout=600, **kw)

    def put_notebook(self, path: str, nb: dict) -> None:
        headers = {"X-XSRFToken": self._xsrf(f"/user/{self.name}/")}
        r = self.s.put(f"{self.server}/api/contents/{path}", headers=headers, timeout=60,
                       data=json.dumps({"type": "notebook", "format": "json", "content": nb}))
        r.raise_for_status()

    def notebook(self, path: str) -> dict:
        r = self.get(f"/api/contents/{path}")
        r.raise_for_status()
        return r.json()["content"]

    def nbgrader(self, action: str, course: str, assignment: str) -> dict:
        """A student's button in the Assignments tab: fetch, submit or fetch_feedback."""
        r = self.post(f"/assignments/{action}", data={"course_id": course, "assignment_id": assignment})
        r.raise_for_status()
        return r.json()

    def formgrader(self, path: str) -> object:
        """A formgrader API call (POST), as its pages make them; its JSON answer."""
        r = self.post(f"/formgrader/api/{path}")
        r.raise_for_status()
        return r.json()
