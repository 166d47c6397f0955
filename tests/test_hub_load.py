"""A class of 30 on the hub at once (deploy/load.py): every student logs in, starts a server,
fetches, saves and submits, ten at a time, on 127.0.0.1; no submission is lost. Times are
reported by benchmarks/hub_load.py, never asserted here (the machine is shared and noisy)."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the hub creates Unix users and runs as root (CI runs as root)")


def test_thirty_students_submit_at_once_and_none_is_lost():
    from deploy.load import run
    load = run(students=30, workers=10)
    assert load.in_exchange == 30
    assert load.submitted == set(load.students)
    assert len(load.submit_seconds) == len(load.spawn_seconds) == 30
