"""The sandbox and the records, tested directly (the hostile submissions test them end to end).

A kernel is started in its bubblewrap sandbox exactly as grading starts it; each test runs a
cell in it and checks what the cell could see or do. The records it sends back are decoded by
``grading.judge.codec``, which must refuse anything that is not plain numeric data.
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from grading.judge import codec
from grading.judge.kernel import RUN_PREFIX, Kernel
from grading.judge.run import Step, run_notebook
from grading.sandbox import bwrap
from grading.sandbox.bwrap import Limits

ROOT = Path(__file__).resolve().parents[1]
LIMITS = Limits(cell_seconds=5, flood_bytes=2_000_000, memory_bytes=1 << 30)


@pytest.fixture(scope="module")
def kernel():
    with Kernel(LIMITS) as k:
        yield k


LIB_SOURCE = ROOT / "lib" / "losses" / "regression.py"  # a module of a subpackage of the reference


def cell(kernel: Kernel, code: str, seconds: float = 5.0):
    return kernel.execute(code, time.monotonic() + seconds)


def printed(run) -> str:
    return "".join(o.get("text", "") for o in run.outputs if o["output_type"] == "stream")


def test_the_kernel_runs_unprivileged_and_sees_none_of_the_course(kernel):
    run = cell(kernel, "import os, json\nprint(json.dumps([os.getuid(), os.getgid(), sorted(os.listdir('/')), "
                       f"os.path.exists({str(ROOT / 'solutions')!r}), os.path.exists({str(LIB_SOURCE)!r}), "
                       "os.path.exists('/root/.ssh'), os.getcwd()]))")
    uid, gid, top, solutions, lib_source, ssh, cwd = json.loads(printed(run))
    assert LIB_SOURCE.is_file()  # outside the sandbox it is there
    assert uid != 0 and gid != 0
    assert not solutions and not lib_source and not ssh
    assert "var" not in top and cwd == "/home/student"


def test_lib_and_torch_cannot_be_imported(kernel):
    for module in ("lib", "lib.activations", "lib.losses.regression", "torch"):
        run = cell(kernel, f"import {module}")
        errors = [o for o in run.outputs if o["output_type"] == "error"]
        assert errors and "not available while your notebook is graded" in errors[0]["evalue"], module


def test_there_is_no_network(kernel):
    run = cell(kernel, "import socket\ns = socket.socket()\ns.settimeout(2)\n"
                       "try:\n    s.connect(('127.0.0.1', 22)); print('connected')\n"
                       "except OSError as e:\n    print('refused', e.errno)")
    assert printed(run).startswith("refused")
    run = cell(kernel, "import socket\nprint(sorted(n for _, n in socket.if_nameindex()))")
    assert printed(run).strip() in ("['lo']", "[]")


def test_the_kernel_cannot_signal_the_grader(kernel):
    run = cell(kernel, "import os\nfor pid in (os.getppid(), 1, -1):\n"
                       "    try:\n        os.kill(pid, 9); print('killed', pid)\n"
                       "    except OSError as e:\n        print('refused', pid)")
    assert "killed 1" not in printed(run) and kernel.alive()


def test_a_runaway_cell_is_stopped_and_the_kernel_goes_on(kernel):
    run = cell(kernel, "while True:\n    pass", seconds=1.0)
    assert run.limit == "time limit" and kernel.alive()
    assert printed(cell(kernel, "print(6 * 7)")) == "42\n"


def test_a_cell_that_ignores_the_interrupt_is_killed_with_its_sandbox():
    with Kernel(LIMITS) as k:
        run = cell(k, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass", 1.0)
        assert run.limit.startswith("time limit") and "ignored the interrupt" in run.limit
        assert not k.alive()


def test_an_output_flood_is_stopped_and_only_the_first_bytes_are_kept(kernel):
    run = cell(kernel, "for _ in range(100):\n    print('x' * 1_000_000)", seconds=20)
    assert run.limit and run.limit.startswith("output limit")
    assert sum(len(json.dumps(o)) for o in run.outputs) < 2 * LIMITS.cell_output_bytes


def test_memory_beyond_the_limit_is_refused(kernel):
    run = cell(kernel, "import numpy as np\ntry:\n    a = np.ones(1 << 31)\nexcept MemoryError:\n    print('refused')")
    assert printed(run) == "refused\n"


def test_processes_started_inside_die_with_the_sandbox():
    marker = str(int(time.time() * 1000) % 10**9 + 10**9)  # a sleep no other test starts
    with Kernel(LIMITS) as k:
        cell(k, f"import subprocess\np = subprocess.Popen(['sleep', '{marker}'])")
        run_dir = k.run_dir
        assert subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).returncode == 0
    time.sleep(0.5)
    assert subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True).returncode == 1
    assert not run_dir.exists()


def test_a_kernel_that_exits_is_restarted_and_later_tests_are_graded():
    steps = [Step(0, "def f(x):\n    return x + 1", False), Step(1, "import os\nos._exit(3)", False),
             Step(2, "assert f(np.ones(2)).tolist() == [2.0, 2.0]", True, "t")]
    result = run_notebook(steps, LIMITS)
    assert result.outputs[2] == [], result.outputs
    assert any("cell 2" in e for e in result.events), result.events


# -- records ---------------------------------------------------------------------------------

def nd(dtype: str, shape: list, data: bytes) -> dict:
    return {"$nd": [dtype, shape, base64.b64encode(data).decode()]}


def test_a_record_round_trips_numbers_tuples_lists_and_dicts():
    value = {"w": np.arange(6.0).reshape(2, 3), "n": 3, "t": (np.float32(1.5), [True, None])}
    from grading.sandbox.recorder import encode
    back = codec.decode(json.loads(json.dumps(encode(value))))
    assert back["w"].tolist() == value["w"].tolist() and back["w"].dtype == np.float64
    assert back["t"][0].dtype == np.float32 and back["t"][1] == [True, None] and back["n"] == 3


@pytest.mark.parametrize("data, message", [
    (nd("|O", [1], b"\0" * 8), "not a number type"),
    (nd("<f8", [3], b"\0" * 8), "does not match its shape"),
    (nd("<f8", [-1], b""), "invalid shape"),
    ({"$nd": ["<f8", [1], "***"]}, "malformed"),
    ({"$pickle": "gASV"}, "cannot be graded"),
    ({"$dict": [[[1], 2]]}, "key"),
    (nd("<f8", [10**8], b""), "more than"),
])
def test_a_malformed_record_is_refused_with_a_reason(data, message):
    with pytest.raises(codec.BadRecord, match=message):
        codec.decode(data)


def test_a_deeply_nested_record_is_refused():
    data: object = 1.0
    for _ in range(100):
        data = [data]
    with pytest.raises(codec.BadRecord, match="nested"):
        codec.decode(data)


def test_a_missing_record_is_a_failed_test_not_an_error():
    with pytest.raises(codec.BadRecord, match="no result came back"):
        codec.parse(None)


# -- where the sandbox cannot start ----------------------------------------------------------

def test_grading_refuses_in_one_line_without_bubblewrap(tmp_path):
    from grading.synthetic import copy_course

    course = copy_course(tmp_path / "course")
    (course / "submitted" / "ann" / "activations").mkdir(parents=True)
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path)}  # no /usr/bin: no bwrap
    done = subprocess.run([sys.executable, "-m", "grading.autograde", "activations"], cwd=course, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot grade in a sandbox" in lines[0] and "--no-sandbox" in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert bwrap.probe() is None  # here, with bubblewrap installed, the sandbox starts


def test_a_cell_that_burns_cpu_on_threads_is_stopped_by_the_cpu_limit():
    limits = Limits(cell_seconds=30, cell_cpu_seconds=1.0)
    with Kernel(limits) as k:
        assert k.cpu_seconds() > 0  # the kernel's own start-up
        start = time.monotonic()
        run = cell(k, "import threading\ndef burn():\n    while True:\n        pass\n"
                      "for _ in range(4):\n    threading.Thread(target=burn, daemon=True).start()\n"
                      "while True:\n    pass", seconds=30)
        assert run.limit and run.limit.startswith("CPU time limit (1 s)"), run.limit
        assert time.monotonic() - start < 10
