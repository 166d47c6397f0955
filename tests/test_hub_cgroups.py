"""The limits of a student's server hold (deploy/cgroups.py): what runs in its control group is
killed past the memory limit and gets no more CPU than its share; the group is removed after."""
from __future__ import annotations

import secrets
import subprocess

import pytest

from deploy import cgroups

pytestmark = pytest.mark.skipif(cgroups.version() is None,
                                reason="control groups are writable by root only (CI runs as root)")

PYTHON = "/usr/bin/python3"  # any Python: the child only allocates or spins


@pytest.fixture
def group():
    g = cgroups.Group(f"hb{secrets.token_hex(3)}", "student", cgroups.version())
    g.create(mem_bytes=100 * 2**20, cpus=0.5, pids=64)
    yield g
    g.kill_all()
    g.remove()
    assert not any(d.exists() for d in g.dirs) and not any(d.parent.exists() for d in g.dirs)


def in_group(group: cgroups.Group, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-c", code], preexec_fn=group.join, capture_output=True,
                          text=True, timeout=60)


def test_a_process_past_the_memory_limit_is_killed(group):
    out = in_group(group, "b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('kept')")
    assert out.returncode == -9 and "kept" not in out.stdout


def test_a_process_within_the_memory_limit_runs(group):
    out = in_group(group, "b = bytearray(20 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('kept')")
    assert out.returncode == 0 and out.stdout.strip() == "kept"


def test_a_busy_process_gets_no_more_than_its_cpu_share(group):
    # half a core: at most about 1.5 s of CPU in 3 s of wall time (a busy machine gives less)
    out = in_group(group, "import os, time\nt = time.time()\nwhile time.time() - t < 3: pass\n"
                          "print(os.times().user + os.times().system)")
    assert float(out.stdout) < 0.8 * 3


def test_the_processes_of_a_group_are_listed_and_killed_by_pid(group):
    child = subprocess.Popen([PYTHON, "-c", "import time; time.sleep(60)"], preexec_fn=group.join)
    assert child.pid in group.pids()
    group.kill_all()
    assert child.wait(10) == -9 and not group.pids()
