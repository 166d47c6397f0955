"""The spawner of the course's hub: JupyterHub's ``LocalProcessSpawner`` (a server per user,
run as that user's uid) plus what The Littlest JupyterHub gets from systemd:

- the user's Unix account is created on first start (``deploy.accounts``), home folder 0700;
- ``mem_limit``, ``cpu_limit`` and a process limit are enforced by a control group per server
  (``deploy.cgroups``), which also lets ``stop`` end every process the server started, by pid;
- the course's Python environment is shared read-only even where it lives under a closed folder
  such as /root (``deploy.shared_env``);
- students and the instructor get their own Jupyter configuration folder
  (``JUPYTER_CONFIG_PATH``): the exchange and the course for both, the formgrader for the
  instructor only, whose server opens in the course folder.
"""
from __future__ import annotations

import asyncio
import os

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Bool, Integer, Unicode

from deploy import accounts, cgroups, shared_env


class CourseSpawner(LocalProcessSpawner):
    """A local server per hub user, as the Unix user of the same name, with limits."""

    cgroup_parent = Unicode("course-hub", config=True,
                            help="Parent control group of every server's group.")
    pids_limit = Integer(512, config=True, help="Processes and threads of one server.")
    require_limits = Bool(True, config=True,
                          help="Refuse to start a server when no control group can hold its "
                               "limits (False: start it without limits, logged).")
    student_config = Unicode(config=True, help="Jupyter config folder of students' servers.")
    instructor_config = Unicode(config=True, help="Jupyter config folder of the instructor's.")
    course_dir = Unicode(config=True, help="The instructor's course folder (nbgrader root).")

    def _group(self) -> cgroups.Group | None:
        version = cgroups.version()
        if version is None:
            if self.require_limits:
                raise RuntimeError("no writable control group (cgroup v1 or v2) for the memory "
                                   "and CPU limits: run the hub as root, or set "
                                   "CourseSpawner.require_limits = False to run without limits")
            self.log.warning("no writable control group: %s's server runs without limits",
                             self.user.name)
            return None
        return cgroups.Group(self.cgroup_parent, self.user.name, version)

    def make_preexec_fn(self, name):
        group, drop_to_user = self._group(), set_user_setuid(name)
        closed = shared_env.closed_folders()
        # nbgrader's formgrader reads nbgrader_config.py from the server's working folder
        workdir = self.course_dir if self.user.admin else None

        def preexec():  # in the child, as root, before exec
            if group is not None:
                group.join()
            shared_env.isolate(closed)
            drop_to_user()
            if workdir:
                os.chdir(workdir)
        return preexec

    def get_env(self):
        env = super().get_env()
        env["JUPYTER_CONFIG_PATH"] = self.instructor_config if self.user.admin else self.student_config
        return env

    async def start(self):
        accounts.ensure_user(self.user.name)
        if self.user.admin:
            self.notebook_dir = self.course_dir
        group = self._group()
        if group is not None:
            group.create(self.mem_limit, self.cpu_limit, self.pids_limit)
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        group = self._group()
        if group is not None:  # kernels and anything else the server left behind
            await asyncio.to_thread(group.kill_all)
            group.remove()
