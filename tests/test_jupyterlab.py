"""A student's and an instructor's JupyterLab, for real: the server on 127.0.0.1 with a token,
nbgrader's lab and server extensions on, an exercise run through the server's kernel API and
validated by nbgrader's Validate endpoint, formgrader listing the assignments. The server is
stopped by its process id."""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import nbformat
import pytest

from grading.synthetic import copy_course, solved_release, tool_env

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, url: str, token: str):
        self.url, self.token = url, token

    def request(self, path: str, method: str = "GET", data: dict | None = None, form: bool = False):
        body = None
        headers = {"Authorization": f"token {self.token}"}
        if data is not None:
            body = urlencode(data).encode() if form else json.dumps(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded" if form else "application/json"
        with urlopen(Request(self.url + path, data=body, method=method, headers=headers), timeout=120) as r:
            raw = r.read().decode()
            is_json = r.headers.get_content_type() == "application/json" or raw[:1] in ("[", "{")
            return json.loads(raw) if raw and is_json else raw


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("lab-course"), ("solutions", "exercises"))
    port, token = free_port(), secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    env = {**tool_env(), "JUPYTER_RUNTIME_DIR": str(runtime)}
    args = [str(BIN / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
            "--KernelManager.transport_encryption=auto"]  # as `make lab` starts it
    if os.geteuid() == 0:
        args.append("--allow-root")
    log = (tmp_path_factory.mktemp("lab-log") / "jupyter.log").open("w")
    server = subprocess.Popen(args, cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                client.request("/api/status")
                break
            except (URLError, ConnectionError):
                assert server.poll() is None, f"jupyter lab exited: see {log.name}"
                assert time.monotonic() < deadline, "jupyter lab did not answer within 120 s"
                time.sleep(0.5)
        client.course, client.log = course, Path(log.name)
        yield client
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def test_nbgrader_lab_extension_is_enabled(lab):
    page = lab.request("/lab")
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S).group(1))
    names = [ext["name"] for ext in config.get("federated_extensions", [])]
    assert "@jupyter/nbgrader" in names
    assert not any(d.startswith("@jupyter/nbgrader") for d in config.get("disabledExtensions", []))


def test_nbgrader_server_extensions_answer(lab):
    import nbgrader

    assert lab.request(f"/nbgrader_version?version={nbgrader.__version__}")["success"] is True
    assert "formgrader" in lab.request("/formgrader").lower()


def test_formgrader_lists_the_assignments(lab):
    listed = {a["name"] for a in lab.request("/formgrader/api/assignments")}
    assert set(ASSIGNMENTS) <= listed


def run_in_kernel(lab: Lab, path: str, cells: list[str]) -> list[str]:
    """Execute ``cells`` in a kernel the server starts for notebook ``path``; the errors raised."""
    import websocket

    session = lab.request("/api/sessions", "POST", {"path": path, "type": "notebook", "name": Path(path).name,
                                                   "kernel": {"name": "python3"}})
    kernel = session["kernel"]["id"]
    ws = websocket.create_connection(
        f"{lab.url.replace('http', 'ws')}/api/kernels/{kernel}/channels?session_id={uuid.uuid4().hex}",
        header=[f"Authorization: token {lab.token}"], timeout=120)
    errors = []
    try:
        for code in cells:
            msg_id = uuid.uuid4().hex
            ws.send(json.dumps({
                "header": {"msg_id": msg_id, "username": "student", "session": uuid.uuid4().hex,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": False}}))
            while True:
                msg = json.loads(ws.recv())
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "error":
                    errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
                if msg["msg_type"] == "execute_reply":
                    break
    finally:
        ws.close()
        lab.request(f"/api/sessions/{session['id']}", "DELETE")
    return errors


def test_a_solved_exercise_runs_clean_in_the_servers_kernel_and_validates(lab):
    nb = solved_release("activations")
    path = "exercises/activations/solved.ipynb"
    nbformat.write(nb, lab.course / path)
    errors = run_in_kernel(lab, path, [c.source for c in nb.cells if c.cell_type == "code"])
    assert errors == []
    result = lab.request("/assignments/validate", "POST", {"path": path}, form=True)
    assert result["success"] is True, result
    assert not result["value"].get("failed") and not result["value"].get("errors"), result["value"]
    assert "without encryption" not in lab.log.read_text(), "the kernel ran over unencrypted TCP"


def test_the_blank_exercise_fails_its_tests_and_validate_says_so(lab):
    path = "exercises/activations/activations.ipynb"
    nb = nbformat.read(lab.course / path, 4)
    errors = run_in_kernel(lab, path, [c.source for c in nb.cells if c.cell_type == "code"])
    assert errors and all("NotImplementedError" in e or "AssertionError" in e or "NameError" in e for e in errors)
    result = lab.request("/assignments/validate", "POST", {"path": path}, form=True)
    assert result["success"] is True
    assert result["value"].get("failed"), result["value"]  # the failing test cells, listed for the student
