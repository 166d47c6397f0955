"""Run one notebook: the student's cells in the sandbox, the test cells here, outside.

A test cell's source is the instructor's (from the gradebook, hidden tests included) and runs in
the grader's process with the real ``lib``. Every name it uses that it does not define itself
(``relu``, ``softmax``, ...) is a ``StudentName``: calling it sends the inputs into the sandbox,
where the recorder calls the student's function of that name, and brings back the result as
data. Comparisons, expected values and points never enter the sandbox; what a test cell shows
is the message of the grader's check, never what the kernel printed.

When the kernel dies (a limit, ``os._exit``, a signal), a fresh sandbox is started, the cells
that had run are run again, and grading goes on after the cell that killed it: one runaway
cell costs that cell's task, not the rest of the notebook.
"""
from __future__ import annotations

import builtins
import hashlib
import json
import re
import time
from dataclasses import dataclass, field

import numpy as np

from grading.judge import codec
from grading.judge.kernel import CellRun, Kernel, KernelStopped, TimeLimit
from grading.sandbox.bwrap import Limits

MAX_MESSAGE = 3_000  # characters of a test's message kept in the graded notebook
MAX_RESTARTS = 3


@dataclass
class Step:
    """One code cell to run: the student's (inside) or a test cell (outside)."""

    index: int
    source: str
    test: bool
    grade_id: str = ""


@dataclass
class Result:
    """The outputs of every code cell (by index), and one line per limit or restart."""

    outputs: dict[int, list[dict]] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


def plan(cells: list, tests: dict[str, str]) -> list[Step]:
    """The steps of a (sanitized) notebook. A cell is a test cell when its grade id is one of
    the gradebook's test cells, at its first occurrence; its source is then the gradebook's,
    whatever the submission holds. Every other code cell is the student's."""
    steps, seen = [], set()
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid in tests and gid not in seen:
            seen.add(gid)
            steps.append(Step(i, tests[gid], True, gid))
        else:
            steps.append(Step(i, str(cell.get("source", "")), False, gid))
    return steps


def plan_key(steps: list[Step]) -> str:
    text = json.dumps([(s.index, s.source, s.test, s.grade_id) for s in steps])
    return hashlib.sha256(text.encode()).hexdigest()


# -----------------------------------------------------------------------------------------------
# The student's names, seen from outside.

class StudentName:
    """A name the student's notebook defines; calling it calls the student's function in the
    sandbox (``lib.testing`` knows it by ``__sandboxed__`` and checks nothing locally)."""

    __sandboxed__ = True

    def __init__(self, session: "Session", name: str):
        self._session, self.__name__ = session, name

    def __call__(self, *args, **kwargs):
        return self._session.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<your {self.__name__}>"


class TestNamespace(dict):
    """The globals of the test cells: a name they do not define (and is not a builtin) is the
    student's. Functions a test cell defines share these globals, so they see the same names."""

    def __init__(self, session: "Session"):
        super().__init__(np=np, __name__="__grader__", __builtins__=builtins)
        self._session = session

    def __missing__(self, name: str):
        if hasattr(builtins, name):
            raise KeyError(name)
        return StudentName(self._session, name)


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,79}$")


def _exception(raised) -> Exception:
    """The student's exception, rebuilt from its record (its name and builtin base only)."""
    if not (isinstance(raised, list) and len(raised) == 3 and all(isinstance(x, str) for x in raised)):
        return codec.BadRecord("the error your function raised came back malformed")
    name, base, message = raised
    cls = getattr(builtins, base, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = Exception
    if name != cls.__name__ and _IDENT.match(name):
        cls = type(name, (cls,), {})
    return cls(message)


def _copy_back(outside, inside) -> None:
    """Mirror an in-place change the student's function made to an argument."""
    if isinstance(outside, np.ndarray) and isinstance(inside, np.ndarray):
        if inside.shape == outside.shape and outside.flags.writeable:
            np.copyto(outside, inside, casting="unsafe")
    elif isinstance(outside, dict) and isinstance(inside, dict):
        for key in list(outside):
            if key not in inside:
                del outside[key]
        for key, value in inside.items():
            if key in outside and isinstance(outside[key], (np.ndarray, dict, list)):
                _copy_back(outside[key], value)
            else:
                outside[key] = value
    elif isinstance(outside, list) and isinstance(inside, list):
        outside[:] = inside


class Session:
    """The kernel of one submission and the deadline of the cell being run."""

    def __init__(self, kernel_factory, limits: Limits):
        self.kernel_factory, self.limits = kernel_factory, limits
        self.kernel: Kernel | None = None
        self.deadline = 0.0

    def call(self, name: str, args: tuple, kwargs: dict):
        if self.kernel is None or not self.kernel.alive():
            reason = self.kernel.stopped_because if self.kernel else None
            raise KernelStopped(f"your notebook's kernel had stopped ({reason or 'not running'})")
        if time.monotonic() >= self.deadline:
            raise TimeLimit(f"the test cell's {self.limits.cell_seconds:g} s were used up before this call")
        payload = codec.encode_request(args, kwargs)
        try:
            text = self.kernel.call(name, payload, self.deadline)
        except TimeLimit as exc:
            raise TimeLimit(f"{name} did not return within the cell's {self.limits.cell_seconds:g} s "
                            f"({exc})") from None
        record = codec.parse(text)
        if "missing" in record:
            raise NameError(f"name {name!r} is not defined: run the cell that defines it "
                            f"(and check its spelling)")
        after = record.get("after")
        if isinstance(after, dict):
            self._mirror(args, kwargs, after)
        if "raised" in record:
            raise _exception(record["raised"])
        if "unencodable" in record:
            raise TypeError(f"{name} returned {str(record['unencodable'])[:200]}: return numpy "
                            f"arrays or numbers (or tuples, lists and dicts of them)")
        if "result" not in record:
            raise codec.BadRecord("the result came back malformed")
        return codec.decode(record["result"])

    @staticmethod
    def _mirror(args: tuple, kwargs: dict, after: dict) -> None:
        pairs = list(zip(args, after.get("args") or []))
        pairs += [(kwargs[k], v) for k, v in (after.get("kwargs") or {}).items() if k in kwargs]
        for outside, data in pairs:
            if data is None:
                continue
            if isinstance(outside, np.random.Generator):
                state = codec.decode_rng_state(data)
                try:
                    outside.bit_generator.state = state
                except (TypeError, ValueError, KeyError):
                    raise codec.BadRecord("a random generator came back malformed") from None
            else:
                _copy_back(outside, codec.decode(data))


def _error_output(exc: BaseException) -> dict:
    name = type(exc).__name__
    message = str(exc)
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + " [...]"
    return {"output_type": "error", "ename": name, "evalue": message, "traceback": [f"{name}: {message}"]}


def _limit_output(what: str) -> dict:
    return {"output_type": "error", "ename": "GradingLimit", "evalue": what,
            "traceback": [f"GradingLimit: {what}"]}


def run_notebook(steps: list[Step], limits: Limits = Limits(), sandbox: bool = True, slot: int = 0) -> Result:
    """Run the steps in order: the student's in a sandboxed kernel, the tests here."""
    return NotebookRun(limits, sandbox, slot).run(steps)


class NotebookRun:
    """One notebook's run: a kernel (restarted when it dies), the test namespace, the outputs."""

    def __init__(self, limits: Limits, sandbox: bool, slot: int):
        self.limits = limits
        self.session = Session(lambda: Kernel(limits, sandbox=sandbox, slot=slot), limits)
        self.namespace = TestNamespace(self.session)
        self.result = Result()
        self.ran: list[Step] = []  # the student's cells that completed, replayed after a restart
        self.restarts = 0
        self.broken: str | None = None  # why nothing more can run, once it is so
        self.notebook_deadline = 0.0

    def run(self, steps: list[Step]) -> Result:
        self.notebook_deadline = time.monotonic() + self.limits.notebook_seconds
        self.broken = self._start()
        try:
            for step in steps:
                if time.monotonic() >= self.notebook_deadline and not self.broken:
                    self.broken = f"the notebook's time limit ({self.limits.notebook_seconds:g} s)"
                    self.result.events.append(f"{self.broken} struck before cell {step.index + 1}")
                if step.test:
                    self._test(step)
                else:
                    self._student(step)
        finally:
            if self.session.kernel is not None:
                self.session.kernel.stop()
        return self.result

    def _deadline(self) -> float:
        return min(time.monotonic() + self.limits.cell_seconds, self.notebook_deadline)

    def _start(self) -> str | None:
        """A fresh kernel with the completed cells run again; why not, when it cannot be."""
        if self.session.kernel is not None:
            self.session.kernel.stop()
        self.session.kernel = self.session.kernel_factory()
        try:
            self.session.kernel.start()
            for step in self.ran:
                run = self.session.kernel.execute(step.source, self._deadline(), keep_outputs=False)
                if run.limit:
                    return f"cell {step.index + 1} struck a limit again when run again ({run.limit})"
        except KernelStopped as exc:
            return str(exc)
        return None

    def _restart_if_dead(self, where: str) -> None:
        kernel = self.session.kernel
        if kernel is None or kernel.alive():
            return
        if self.restarts >= MAX_RESTARTS:
            self.broken = f"the kernel stopped {self.restarts + 1} times"
        else:
            self.restarts += 1
            self.result.events.append(f"{kernel.stopped_because or 'the kernel stopped'} {where}; "
                                      f"kernel restarted")
            self.broken = self._start()
        if self.broken:
            self.result.events.append(f"grading stopped: {self.broken}")

    def _test(self, step: Step) -> None:
        """A test cell, run here; its output is the grader's message or nothing."""
        if self.broken:
            self.result.outputs[step.index] = [_error_output(KernelStopped(f"not graded: {self.broken}"))]
            return
        self.session.deadline = self._deadline()
        try:
            exec(compile(step.source, f"<test cell {step.grade_id}>", "exec"), self.namespace)
            self.result.outputs[step.index] = []
        except Exception as exc:  # a failed test: its message is the grader's
            self.result.outputs[step.index] = [_error_output(exc)]
        self._restart_if_dead(f"in test cell {step.grade_id} (cell {step.index + 1})")

    def _student(self, step: Step) -> None:
        """A cell of the student's, run in the kernel; its outputs, and the limit that struck."""
        if self.broken:
            self.result.outputs[step.index] = [_limit_output(f"not run: {self.broken}")]
            return
        try:
            run = self.session.kernel.execute(step.source, self._deadline())
        except KernelStopped as exc:
            run = CellRun(limit=str(exc))
        if run.limit:
            limit = f"time limit ({self.limits.cell_seconds:g} s)" if run.limit == "time limit" else run.limit
            self.result.outputs[step.index] = [*run.outputs, _limit_output(f"{limit} in this cell")]
            self.result.events.append(f"{limit} in cell {step.index + 1}"
                                      + (f" ({step.grade_id})" if step.grade_id else ""))
            self._restart_if_dead(f"after cell {step.index + 1}")
            return
        if run.error == "MemoryError":
            self.result.events.append(f"memory limit in cell {step.index + 1}")
        self.result.outputs[step.index] = run.outputs
        self.ran.append(step)
