"""One real Unix user per hub user, as The Littlest JupyterHub makes them.

The Unix name is the hub name itself: nbgrader takes the student id from the OS user name
(``nbgrader.utils.get_username``), so the id in the gradebook and the exchange is the name the
student logs in with. Home folders are private (0700): a student cannot read another's work.
"""
from __future__ import annotations

import pwd
import re
import subprocess
from pathlib import Path

# useradd's own rule for names (Debian), and the uid below which accounts belong to the system.
NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
FIRST_UID = 1000


def ensure_user(name: str, home_mode: int = 0o700) -> pwd.struct_passwd:
    """The Unix user ``name``, created with a private home folder if missing.

    Refuses a name useradd would reject, and an existing system account (uid < 1000: ``root``,
    ``www-data``, ...), which a hub user must never become."""
    if not NAME.match(name):
        raise ValueError(f"{name!r} cannot be a Unix user name: use lower-case letters, digits, "
                         "'-' or '_', starting with a letter, at most 32 characters")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name],
                       check=True, capture_output=True, text=True)
        entry = pwd.getpwnam(name)
        Path(entry.pw_dir).chmod(home_mode)
    if entry.pw_uid < FIRST_UID:
        raise PermissionError(f"{name!r} is a system account (uid {entry.pw_uid}); "
                              "choose another hub user name")
    return entry


def remove_user(name: str) -> None:
    """Delete the Unix user ``name``, its group and its home folder (no error if absent)."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["userdel", "--remove", name], check=True, capture_output=True, text=True)
