"""Idle servers are stopped by jupyterhub-idle-culler, a service of the hub
(deploy/jupyterhub_config.py), and with them every process they started (deploy/cgroups.py)."""
from __future__ import annotations

import os
import pwd
import time

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the hub creates Unix users and runs as root (CI runs as root)")


def test_an_idle_server_is_culled_with_all_its_processes():
    from deploy import cgroups
    from deploy.trial import Browser, TrialHub, processes_of
    with TrialHub(cull_timeout=20) as hub:  # the culler looks every 10 s
        hub.start([hub.user("idle")])
        b = Browser(hub.url, hub.user("idle"), hub.password)
        b.start_server()
        uid = pwd.getpwnam(hub.user("idle")).pw_uid
        group = cgroups.Group(hub.prefix, hub.user("idle"), cgroups.version())
        assert processes_of({uid}) and group.pids()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not b.hub_api("GET", f"/users/{hub.user('idle')}").json()["servers"]:
                break
            time.sleep(2)
        else:
            pytest.fail(f"the idle server was not culled in 120 s:\n{hub.tail()}")
        assert "Culling server" in hub.tail(400)
        assert not processes_of({uid})
        assert not group.dirs[0].exists()
