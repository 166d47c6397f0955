"""The course's Python environment, shared read-only with every user's server, even when it
lives under a folder other users cannot enter.

The Littlest JupyterHub installs the users' environment in /opt (world-readable). This course's
``.venv`` is made from whichever Python ``make`` found, which on CI machines is often pyenv's in
``/root/.pyenv`` (``/root`` is 0700), so a student's server could not even start Python. Rather
than open ``/root``, each server gets a mount namespace of its own (made in the spawner's
``preexec_fn``, as root, before the uid is dropped) in which that closed folder is replaced by an
empty tmpfs holding only the Python installation, bound read-only. The student sees nothing else
of it. Where every Python folder is already reachable, nothing is done.

Done with the raw system calls (``unshare``, ``mount``) because Python 3.11 has no
``os.unshare`` and the ``unshare``/``bwrap`` commands would put a monitor process between the hub
and the server (signals to stop it would not reach it).
"""
from __future__ import annotations

import ctypes
import functools
import os
import stat
import subprocess
import sys
from pathlib import Path

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV = 0x1, 0x2, 0x4
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000

_libc = ctypes.CDLL(None, use_errno=True)  # loaded here, never in the forked child


# The course's packages installed editable from the repository: lib, the students' selfcheck, and
# the book's page helpers (book/page.py: a page opened on the hub through its launch button imports
# them; the book is the public site's source, no solution is in it).
PACKAGES = ("lib", "selfcheck", "book")
FIND_LIB = ("import importlib.util as u\nfor name in %r:\n    s = u.find_spec(name)\n"
            "    print(s.origin if s else '')" % (PACKAGES,))


@functools.cache
def python_roots() -> list[Path]:
    """The folders a server's Python reads: the venv, the installation it was made from, and
    ``lib``, ``selfcheck`` and ``book`` (installed editable from the repository: their folders
    only, not the rest of the course's source)."""
    roots = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(),
             Path(os.path.realpath(sys.executable)).parents[1]}
    # where the environment itself finds lib (-I: not from the working folder or the hub's path)
    found = subprocess.run([sys.executable, "-I", "-c", FIND_LIB], capture_output=True, text=True,
                           cwd="/").stdout.split()
    roots.update(Path(origin).resolve().parent for origin in found)
    return sorted(r for r in roots if r.exists())


def _world_enterable(folder: Path) -> bool:
    return bool(folder.stat().st_mode & stat.S_IXOTH)


def closed_folders(roots: list[Path] | None = None) -> dict[Path, list[Path]]:
    """For each folder other users cannot enter on the way to a Python root (the outermost
    one), the roots inside it: ``{/root: [/root/.pyenv/versions/3.11.7]}``."""
    closed: dict[Path, list[Path]] = {}
    for root in roots or python_roots():
        for folder in [*reversed(root.parents[:-1]), root]:
            if not _world_enterable(folder):
                closed.setdefault(folder, []).append(root)
                break
    return closed


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {source} on {target}")


def isolate(closed: dict[Path, list[Path]]) -> None:
    """In the calling process (as root): a private mount namespace where each closed folder is
    an empty tmpfs (0755) holding its Python roots bound read-only at the same paths."""
    if not closed:
        return
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # a handle on each root (in the new namespace) before the tmpfs hides it
    handles = {root: os.open(root, os.O_PATH) for roots in closed.values() for root in roots}
    for folder, roots in closed.items():
        _mount("tmpfs", str(folder), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m")
        for root in roots:
            root.mkdir(parents=True, exist_ok=True)
            _mount(f"/proc/self/fd/{handles[root]}", str(root), None, MS_BIND | MS_REC)
            _mount(None, str(root), None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        _mount(None, str(folder), None, MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_RDONLY)
    for fd in handles.values():
        os.close(fd)
