"""A class on the hub at once: N students log in, start their servers, fetch, work and submit
concurrently (at most ``workers`` at a time), on a throwaway hub on 127.0.0.1; then the
instructor collects. Used by ``benchmarks/hub_load.py`` (which prints the times) and by
``tests/test_hub_load.py`` (which checks that no submission is lost, never a time).
"""
from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from deploy.trial import Browser, TrialHub
from grading.synthetic import solved_release

COURSE, ASSIGNMENT = "nn-foundations", "activations"


@dataclass
class Load:
    students: list[str]
    spawn_all_seconds: float = 0.0            # first spawn request to the last server ready
    spawn_seconds: list[float] = field(default_factory=list)   # one per server
    submit_seconds: list[float] = field(default_factory=list)  # one per submit request
    submitted: set[str] = field(default_factory=set)           # as the instructor collected
    in_exchange: int = 0                                       # submissions in the inbound

    @staticmethod
    def percentile(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def student_session(hub: TrialHub, name: str, work: dict) -> tuple[float, float]:
    """One student: log in, start the server, fetch, save the work, submit; the seconds the
    server took to start and the submit took."""
    b = Browser(hub.url, name, hub.password)
    spawn = b.start_server()
    if not b.nbgrader("fetch", COURSE, ASSIGNMENT)["success"]:
        raise RuntimeError(f"{name} could not fetch {ASSIGNMENT}")
    b.put_notebook(f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb", work)
    t0 = time.monotonic()
    out = b.nbgrader("submit", COURSE, ASSIGNMENT)
    submit = time.monotonic() - t0
    if not out["success"]:
        raise RuntimeError(f"{name}'s submit failed: {out}")
    return spawn, submit


def run(students: int = 30, workers: int = 10, hub: TrialHub | None = None) -> Load:
    """The load on a hub of its own (stopped and removed at the end) or on ``hub``."""
    own = hub is None
    hub = hub or TrialHub(mem_limit="512M", cpu_limit=1.0)
    names = [hub.user(f"s{i:03d}") for i in range(students)]
    load = Load(students=names)
    work = nbformat.from_dict(solved_release(ASSIGNMENT))
    try:
        if own:
            hub.start(names)
        teach = Browser(hub.url, hub.instructor, hub.password)
        teach.start_server()
        for step in ("assign", "release"):
            if not teach.formgrader(f"assignment/{ASSIGNMENT}/{step}")["success"]:
                raise RuntimeError(f"the instructor's {step} failed")
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(lambda n: student_session(hub, n, work), names))
        load.spawn_all_seconds = time.monotonic() - t0
        load.spawn_seconds = [r[0] for r in results]
        load.submit_seconds = [r[1] for r in results]
        inbound = hub.dir / "exchange" / COURSE / "inbound"
        load.in_exchange = sum(1 for _ in inbound.iterdir())
        if not teach.formgrader(f"assignment/{ASSIGNMENT}/collect")["success"]:
            raise RuntimeError("the instructor's collect failed")
        submitted = Path("/home") / hub.instructor / "course" / "submitted"
        load.submitted = {p.name for p in submitted.iterdir()
                          if (p / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()}
        return load
    finally:
        if own:
            hub.stop()
