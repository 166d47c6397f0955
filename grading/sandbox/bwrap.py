"""The sandbox a submission's kernel runs in: Debian's bubblewrap, no container engine.

Inside: the Python installation and the course's venv read-only (torch masked), a private
``/home/student`` (tmpfs, size-limited) as the working folder, and the one folder of the
kernel's sockets. No network (own network namespace), own PID namespace (nothing started inside
outlives the sandbox, nothing outside can be signalled), own IPC and UTS namespaces, an
unprivileged uid, no capabilities. Not inside: the course (``solutions/``, ``lib/``, the
gradebook, ``submitted/``, ``autograded/``), other students, ``/root``, ``/home``, ``/etc``
beyond what the dynamic linker needs.

When the grader runs as root (CI, a hub server), each parallel slot gets a uid of its own
(``uid_base + slot``): RLIMIT_NPROC counts per uid, so one submission's fork bomb cannot starve
another's kernel. As an ordinary user, bubblewrap maps the user to ``nobody`` in a user
namespace.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

BLOCKED = Path(__file__).parent / "blocked"
# Frameworks a task could delegate to: masked inside the sandbox when the venv holds them.
FRAMEWORKS = ("torch", "torchgen", "functorch", "scipy", "sklearn", "tensorflow", "jax", "keras")
SWITCH = "--no-sandbox (or c.SandboxedExecute.sandbox = False in nbgrader_config.py)"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one submission's kernel. Each that strikes is named in the result."""

    cell_seconds: float = 30.0  # wall time of one cell (answer cell or test cell)
    cell_cpu_seconds: float = 30.0  # CPU time of the kernel (all its threads) during one cell
    notebook_seconds: float = 600.0  # wall time of the whole notebook
    cpu_seconds: int = 600  # RLIMIT_CPU of the kernel process
    memory_bytes: int = 4 << 30  # RLIMIT_AS of the kernel process
    processes: int = 256  # RLIMIT_NPROC: processes and threads of the sandbox's uid
    file_bytes: int = 64 << 20  # RLIMIT_FSIZE: the largest file the kernel may write
    scratch_bytes: int = 64 << 20  # size of the writable /home/student
    cell_output_bytes: int = 100_000  # output kept per cell (the rest is cut, with a note)
    notebook_output_bytes: int = 1_000_000  # output kept per notebook
    flood_bytes: int = 20_000_000  # a cell printing more than this is stopped: "output limit"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def is_root() -> bool:
    return os.geteuid() == 0


def python_roots() -> list[Path]:
    """The folders the kernel's Python needs: the venv and the installation it was made from."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(os.path.realpath(sys.executable)).parents[1]}
    return sorted(r for r in roots if r.exists() and not str(r).startswith("/usr"))


def _ancestors(paths: list[Path]) -> list[Path]:
    seen: list[Path] = []
    for p in paths:
        for parent in reversed(p.parents[:-1]):  # without "/"
            if parent not in seen:
                seen.append(parent)
    return seen


KERNEL_DIR = "/run/kernel"  # the kernel's sockets: a tiny tmpfs of the sandbox's own
CONNECTION_FILE = "/run/kernel.json"


def command(connection_file: Path | None, argv: list[str], limits: Limits, uid: int | None = None,
            info_fd: int | None = None) -> list[str]:
    """bwrap + limits + ``argv``: the kernel's command line inside the sandbox.

    ``connection_file`` (the grader's, read-only inside at ``CONNECTION_FILE``) names sockets in
    ``KERNEL_DIR``, a 1 MiB tmpfs: nothing outside the sandbox is writable from inside. The
    grader reaches the sockets through ``/proc/<pid>/root`` (the pid bubblewrap writes to
    ``info_fd``). ``uid`` is the unprivileged uid to run as when the grader is root.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: `make sandbox` installs it")
    roots = python_roots()
    masked = [d for d in (_course_lib(),) if d is not None]
    site = Path(sysconfig.get_paths()["purelib"])
    cmd = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--die-with-parent", "--new-session",
           "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib64", "lib32"):
        target = Path("/") / name
        if target.is_symlink():
            cmd += ["--symlink", os.readlink(target), str(target)]
        elif target.is_dir():
            cmd += ["--ro-bind", str(target), str(target)]
    cmd += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
            "--ro-bind-try", "/etc/alternatives", "/etc/alternatives",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.scratch_bytes), "--perms", "1777", "--tmpfs", "/tmp",
            "--size", str(limits.scratch_bytes), "--perms", "0777", "--tmpfs", "/home/student"]
    cmd += ["--size", str(1 << 20), "--perms", "1777", "--tmpfs", KERNEL_DIR]
    if connection_file is not None:
        cmd += ["--ro-bind", str(connection_file), CONNECTION_FILE]
    if info_fd is not None:
        cmd += ["--info-fd", str(info_fd)]
    for parent in _ancestors([*roots, *masked]):
        cmd += ["--perms", "0755", "--dir", str(parent)]
    for root in roots:
        cmd += ["--ro-bind", str(root), str(root)]
    for name in FRAMEWORKS:
        if (site / name).is_dir():
            cmd += ["--ro-bind", str(BLOCKED), str(site / name)]
    for folder in masked:  # the reference: `import lib` finds the blocker, not the course
        cmd += ["--ro-bind", str(BLOCKED), str(folder)]
    cmd += ["--chdir", "/home/student", "--clearenv"]
    for key, value in kernel_env().items():
        cmd += ["--setenv", key, value]
    inner: list[str] = []
    if is_root():  # a real unprivileged uid, set after the mounts are made
        inner = ["/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--"]
    else:  # an ordinary user: nobody in a user namespace of its own
        cmd += ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"]
    return [*cmd, "--", *inner, *prlimit(limits), *argv]


def _course_lib() -> Path | None:
    """The folder of the course's reference package, which the venv imports as ``lib``."""
    import importlib.util

    spec = importlib.util.find_spec("lib")
    return Path(spec.origin).parent if spec and spec.origin else None


def prlimit(limits: Limits, processes: bool = True) -> list[str]:
    """util-linux's prlimit with the kernel's rlimits (they hold for everything it starts)."""
    args = ["/usr/bin/prlimit", f"--cpu={limits.cpu_seconds}", f"--as={limits.memory_bytes}",
            f"--fsize={limits.file_bytes}", "--core=0"]
    if processes:
        args.append(f"--nproc={limits.processes}")
    return [*args, "--"]


def kernel_env(home: str = "/home/student") -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's is passed on."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": home, "IPYTHONDIR": f"{home}/.ipython", "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
        "JUPYTER_DATA_DIR": f"{home}/.local/share/jupyter", "MPLCONFIGDIR": f"{home}/.matplotlib",
        "MPLBACKEND": "agg", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


def probe() -> str | None:
    """Why the sandbox cannot start here (one line), or None when it can."""
    try:
        argv = command(None, [sys.executable, "-c", "print('ok')"], Limits(), uid=uid_for(0))
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except SandboxUnavailable as exc:
        return str(exc)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap could not be run ({exc})"
    if done.returncode != 0 or done.stdout.strip() != "ok":
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bubblewrap cannot create the sandbox here ({last}); user namespaces may be disabled"
    return None


UID_BASE = int(os.environ.get("COURSE_SANDBOX_UID_BASE", "61000"))


def uid_for(slot: int) -> int:
    """The unprivileged uid of a parallel slot (used when the grader runs as root)."""
    return UID_BASE + slot
