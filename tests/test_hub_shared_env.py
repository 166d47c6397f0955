"""The course's environment shared read-only with students' servers even under a closed folder
(deploy/shared_env.py): inside a server's mount namespace the closed folder shows only the
Python roots, read-only; nothing changes outside it."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from deploy import shared_env

NOBODY = 65534


@pytest.fixture
def closed():
    """A folder only root can enter (like /root) holding a 'Python root' and a secret."""
    base = Path(tempfile.mkdtemp(prefix="hbenv-"))
    (base / "python" / "bin").mkdir(parents=True)
    (base / "python" / "bin" / "tool").write_text("tool\n")
    (base / "secret").write_text("secret\n")
    for p in (base / "python", base / "python" / "bin"):
        p.chmod(0o755)
    (base / "python" / "bin" / "tool").chmod(0o644)
    base.chmod(0o700)
    yield base
    shutil.rmtree(base)


def test_a_closed_folder_on_the_way_to_a_python_root_is_found(closed):
    assert shared_env.closed_folders([closed / "python"]) == {closed: [closed / "python"]}
    assert shared_env.closed_folders([Path("/usr")]) == {}


@pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces and other uids need root")
def test_inside_the_namespace_a_student_reads_the_python_root_and_nothing_else(closed):
    layout = shared_env.closed_folders([closed / "python"])

    def as_nobody(*argv):
        def preexec():
            shared_env.isolate(layout)
            os.setgid(NOBODY)
            os.setgroups([])
            os.setuid(NOBODY)
        return subprocess.run(argv, preexec_fn=preexec, capture_output=True, text=True)

    assert as_nobody("cat", str(closed / "python" / "bin" / "tool")).stdout == "tool\n"
    assert as_nobody("cat", str(closed / "secret")).returncode != 0
    assert as_nobody("ls", "-A", str(closed)).stdout.split() == ["python"]
    assert "Read-only" in as_nobody("touch", str(closed / "python" / "new")).stderr
    # outside, nothing changed: still closed, no mount left behind
    blocked = subprocess.run(["cat", str(closed / "python" / "bin" / "tool")], user=NOBODY,
                             capture_output=True, text=True)
    assert blocked.returncode != 0
    assert str(closed) not in Path("/proc/self/mountinfo").read_text()


def test_the_course_packages_a_server_imports_are_shared_and_the_rest_of_the_course_is_not():
    roots = shared_env.python_roots()
    root = Path(__file__).resolve().parents[1]
    for package in ("lib", "selfcheck", "book"):  # book: book.page, imported by every page
        assert root / package in roots
    assert root not in roots and root / "solutions" not in roots and root / "grading" not in roots
