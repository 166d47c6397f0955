"""Memory and CPU limits of one student server, with the kernel's control groups.

JupyterHub's ``LocalProcessSpawner`` ignores ``mem_limit`` and ``cpu_limit``; The Littlest
JupyterHub enforces them with systemd (``jupyterhub-systemdspawner``), which needs systemd as
PID 1. Where systemd is not running (containers, this course's CI machine) the same kernel
feature is used directly: one control group per server, under a parent group of the hub's own,

    cgroup v2: /sys/fs/cgroup/<parent>/<user>/{memory.max, cpu.max, pids.max}
    cgroup v1: /sys/fs/cgroup/{memory,cpu,pids}/<parent>/<user>/{memory.limit_in_bytes, ...}

The server joins its group before it execs (``join``, run in the child as root, before it
drops to the student's uid), so every kernel and process it starts is inside and counted.
``kill_all`` ends every process of the group by pid; ``remove`` deletes the empty group.
No library does this without systemd (cgroupspy and the like are unmaintained), hence this
small module.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def version() -> int | None:
    """2 or 1: the control-group hierarchy the memory and CPU limits can be written to (None:
    neither is writable, e.g. not root)."""
    controllers = ROOT / "cgroup.controllers"
    if controllers.exists() and {"memory", "cpu"} <= set(controllers.read_text().split()):
        return 2 if os.access(ROOT, os.W_OK) else None
    if all(os.access(ROOT / c, os.W_OK) for c in ("memory", "cpu", "pids")):
        return 1
    return None


class Group:
    """The control group ``<parent>/<name>`` in every hierarchy it needs."""

    def __init__(self, parent: str, name: str, cgroup_version: int):
        self.version = cgroup_version
        if cgroup_version == 2:
            self.dirs = [ROOT / parent / name]
        else:
            self.dirs = [ROOT / c / parent / name for c in ("memory", "cpu", "pids")]

    def _file(self, v1_controller: str, name: str) -> Path:
        if self.version == 2:
            return self.dirs[0] / name
        return next(d for d in self.dirs if d.parts[len(ROOT.parts)] == v1_controller) / name

    def create(self, mem_bytes: int | None, cpus: float | None, pids: int,
               period_us: int = 100_000) -> None:
        """Make the group and write its limits: memory (bytes), CPU (cores: ``cpus`` x the
        period per period), processes and threads. None: no limit."""
        if self.version == 2:
            available = set((ROOT / "cgroup.controllers").read_text().split())
            enable = " ".join(f"+{c}" for c in ("memory", "cpu", "pids") if c in available)
            (self.dirs[0].parent).mkdir(exist_ok=True)
            (ROOT / "cgroup.subtree_control").write_text(enable)
            (self.dirs[0].parent / "cgroup.subtree_control").write_text(enable)
        for d in self.dirs:
            d.mkdir(parents=True, exist_ok=True)
        quota = max(1000, int(cpus * period_us)) if cpus else None
        if self.version == 2:
            self._file("memory", "memory.max").write_text(str(mem_bytes or "max"))
            self._file("cpu", "cpu.max").write_text(f"{quota or 'max'} {period_us}")
        else:
            self._file("memory", "memory.limit_in_bytes").write_text(str(mem_bytes or -1))
            self._file("cpu", "cpu.cfs_period_us").write_text(str(period_us))
            self._file("cpu", "cpu.cfs_quota_us").write_text(str(quota or -1))
        if self._file("pids", "pids.max").parent.exists():  # v2 without the pids controller
            self._file("pids", "pids.max").write_text(str(pids))

    def join(self) -> None:
        """Move the calling process into the group (safe in a ``preexec_fn``: file writes only)."""
        pid = str(os.getpid())
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as f:
                f.write(pid)

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs:
            try:
                found |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            except FileNotFoundError:
                pass
        return found

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process left in the group, by pid, and wait until none is left."""
        deadline = time.monotonic() + timeout
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)

    def remove(self) -> None:
        """Delete the (empty) group; its parent too when no other server's group is left."""
        for d in self.dirs:
            for folder in (d, d.parent):
                try:
                    folder.rmdir()
                except (FileNotFoundError, OSError):
                    break  # the parent still holds another server's group
