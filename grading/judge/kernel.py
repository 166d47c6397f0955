"""A submission's kernel, seen from the grader: started in its sandbox, spoken to, stopped.

Built on jupyter_client's protocol (connection file, ``BlockingKernelClient``) but not on its
``KernelManager`` or on nbclient: the grader must own the process (to kill the whole sandbox by
its pid), bound every wait by a deadline, and count the bytes the kernel sends, none of which
those offer. Everything the kernel sends is untrusted: only messages answering our own requests
are read, and their size is capped (ZMQ's MAXMSGSIZE, then our own byte counts).
"""
from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from grading.sandbox import bwrap, recorder
from grading.sandbox.bwrap import Limits

RUN_PREFIX = "nnc-grading-"  # every sandbox's folder starts with this (tests look for leftovers)
MAX_MESSAGE = 32 << 20
BOOTSTRAP = (
    "import sys as _s, types as _t\n"
    "_m = _t.ModuleType('__course_recorder__')\n"
    "exec(compile({source!r}, 'course-recorder', 'exec'), _m.__dict__)\n"
    "_s.modules['__course_recorder__'] = _m\n"
    "_m.limit_output(get_ipython(), {keep}, {stop})\n"
    "del _s, _t, _m\n"
)


class KernelStopped(RuntimeError):
    """The kernel is gone (killed by a limit, exited, or never started)."""


class GradingLimit(RuntimeError):
    """A limit struck during a call (its message names it); the kernel may still be running."""


class TimeLimit(GradingLimit):
    """A cell or a call ran past its deadline (wall or CPU time)."""


@dataclass
class CellRun:
    """What one cell did: its outputs (as nbformat dicts) and the limit that struck, if any."""

    outputs: list[dict] = field(default_factory=list)
    limit: str | None = None
    error: str | None = None  # the ename of an error the cell raised


class Kernel:
    """One submission's ipykernel, in its sandbox (or, with ``sandbox=False``, without one)."""

    def __init__(self, limits: Limits = Limits(), sandbox: bool = True, slot: int = 0):
        self.limits, self.sandbox, self.slot = limits, sandbox, slot
        self.proc: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None
        self.context: zmq.Context | None = None
        self.run_dir: Path | None = None
        self.output_bytes = 0  # kept so far, over the notebook
        self.stderr = None
        self.root_pid: int | None = None  # the sandbox's first process, seen from outside
        self.kernel_pid: int | None = None
        self.stopped_because: str | None = None

    # -- life cycle ------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> None:
        self.run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX))  # the grader's, never the kernel's
        connection = self.run_dir / "kernel.json"
        ip = bwrap.KERNEL_DIR + "/k" if self.sandbox else str(self.run_dir / "k")
        write_connection_file(str(connection), transport="ipc", ip=ip)
        os.chmod(self.run_dir, 0o755)
        os.chmod(connection, 0o644)
        kernel = [sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
                  "--HistoryManager.enabled=False", "--IPKernelApp.capture_fd_output=False", "-f"]
        # The kernel's own stderr (startup errors) goes to an unlinked file of the grader's: a pipe
        # could fill and stall the kernel; RLIMIT_FSIZE bounds the file.
        self.stderr = tempfile.TemporaryFile()
        if self.sandbox:
            info_read, info_write = os.pipe()
            argv = bwrap.command(connection, [*kernel, bwrap.CONNECTION_FILE], self.limits,
                                 uid=bwrap.uid_for(self.slot), info_fd=info_write)
            try:
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=self.stderr, pass_fds=(info_write,),
                                             start_new_session=True)
            finally:
                os.close(info_write)
            child = _child_pid(info_read, timeout)
            if child is None:
                self.proc.wait()
                raise KernelStopped(f"the sandbox did not start ({self._stderr_tail()})")
            ip = f"/proc/{child}/root{ip}"  # the sandbox's own tmpfs, seen from outside
            self.root_pid = child
        else:
            scratch = self.run_dir / "home"
            scratch.mkdir()
            argv = [*bwrap.prlimit(self.limits, processes=False), *kernel, str(connection)]
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=self.stderr, env=bwrap.kernel_env(str(scratch)),
                                         cwd=scratch, start_new_session=True)
        self.context = zmq.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
        self.context.setsockopt(zmq.LINGER, 0)
        self.client = BlockingKernelClient(context=self.context)
        self.client.load_connection_file(str(connection))
        self.client.ip = ip
        self.client.start_channels()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise KernelStopped(f"the kernel did not start ({self._stderr_tail()})")
            try:
                self.client.wait_for_ready(timeout=min(2.0, max(0.1, deadline - time.monotonic())))
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise KernelStopped(f"the kernel did not start within {timeout:g} s") from None
        bootstrap = BOOTSTRAP.format(source=Path(recorder.__file__).read_text(),
                                     keep=self.limits.cell_output_bytes, stop=self.limits.flood_bytes)
        self.execute(bootstrap,
                     deadline=time.monotonic() + timeout, silent=True)

    def _stderr_tail(self) -> str:
        if self.stderr is None:
            return "no message"
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 2000))
        text = self.stderr.read().decode(errors="replace").strip()
        return (text.splitlines() or ["no message"])[-1][:200]

    def cpu_seconds(self) -> float:
        """CPU time the kernel process (every thread) has used so far; 0 when unknown."""
        if self.kernel_pid is None and self.proc is not None:
            self.kernel_pid = self.proc.pid if self.root_pid is None else _find_kernel(self.root_pid)
        if self.kernel_pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.kernel_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Kill the sandbox (its PID namespace dies with it) and remove its folder."""
        if self.client is not None:
            self.client.stop_channels()
        if self.context is not None:
            self.context.destroy(linger=0)
        self._kill(self.stopped_because or "stopped by the grader")
        if self.stderr is not None:
            self.stderr.close()
            self.stderr = None
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        self.proc = self.client = self.context = None

    def __enter__(self) -> "Kernel":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- talking ---------------------------------------------------------------------------
    def _interrupt(self, grace: float = 3.0) -> bool:
        """Ask the kernel to interrupt (a control message: SIGINT cannot cross the sandbox).
        True when it came back to idle within ``grace`` seconds."""
        assert self.client is not None
        msg = self.client.session.msg("interrupt_request", {})
        self.client.control_channel.send(msg)
        end = time.monotonic() + grace
        while time.monotonic() < end and self.alive():
            try:
                reply = self.client.get_shell_msg(timeout=0.2)
            except queue.Empty:
                continue
            if reply.get("msg_type") == "execute_reply":
                return True
        return False

    def execute(self, code: str, deadline: float, silent: bool = False, keep_outputs: bool = True,
                mime: str | None = None) -> CellRun:
        """Run ``code``; its outputs (capped), or the limit that struck. ``mime``: collect only
        display data of that type (the recorder's), dropping everything else."""
        if not self.alive() or self.client is None:
            raise KernelStopped(self.stopped_because or "the kernel is not running")
        run = CellRun()
        cell_bytes, cut = 0, False
        cpu_start, cpu_checked = self.cpu_seconds(), time.monotonic()
        msg_id = self.client.execute(code, silent=silent, store_history=False, allow_stdin=False,
                                     stop_on_error=False)
        idle = replied = False
        while not (idle and replied):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return self._time_limit(run)
            if time.monotonic() - cpu_checked > 0.5:
                cpu_checked = time.monotonic()
                if self.cpu_seconds() - cpu_start > self.limits.cell_cpu_seconds:
                    self._time_limit(run)
                    run.limit = f"CPU time limit ({self.limits.cell_cpu_seconds:g} s)" + \
                        ("" if self.alive() else ", the cell ignored the interrupt")
                    return run
            if not replied:
                try:
                    reply = self.client.get_shell_msg(timeout=0)
                    if reply.get("parent_header", {}).get("msg_id") == msg_id:
                        replied = True
                except queue.Empty:
                    pass
            try:
                msg = self.client.get_iopub_msg(timeout=min(remaining, 0.5))
            except queue.Empty:
                if not self.alive():
                    self.stopped_because = self._death_reason()
                    run.limit = self.stopped_because
                    return run
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg.get("msg_type"), msg.get("content", {})
            if kind == "status" and content.get("execution_state") == "idle":
                idle = True
                if not replied:  # the reply is on the shell channel; wait for it briefly
                    try:
                        self.client.get_shell_msg(timeout=max(0.0, min(5.0, deadline - time.monotonic())))
                    except queue.Empty:
                        pass
                    replied = True
                continue
            output = _as_output(kind, content)
            if output is None:
                continue
            size = len(json.dumps(output))
            cell_bytes += size
            if cell_bytes > self.limits.flood_bytes:
                self._interrupt() or self._kill("output limit")
                run.limit = f"output limit ({self.limits.flood_bytes:,} bytes in one cell)"
                return run
            if output["output_type"] == "error":
                run.error = str(content.get("ename", "Error"))[:80]
                if run.error == recorder.OutputLimitExceeded.__name__:
                    run.limit = f"output limit ({self.limits.flood_bytes:,} bytes in one cell)"
            if mime is not None:
                if output["output_type"] == "display_data" and mime in output.get("data", {}):
                    run.outputs = [output]  # the last record counts
                continue
            if not keep_outputs:
                continue
            # The kernel cuts an honest cell's output at cell_output_bytes (recorder.limit_output);
            # the grader keeps at most twice that, whatever a hostile kernel sends.
            if cell_bytes <= 2 * self.limits.cell_output_bytes and \
                    self.output_bytes + size <= self.limits.notebook_output_bytes:
                self.output_bytes += size
                run.outputs.append(output)
            elif not cut:
                cut = True
                run.outputs.append({"output_type": "stream", "name": "stderr",
                                    "text": "[output limit: the rest of this cell's output was not kept]\n"})
        return run

    def _time_limit(self, run: CellRun) -> CellRun:
        run.limit = "time limit"
        if not self._interrupt():
            self._kill("time limit (the cell ignored the interrupt)")
            run.limit = self.stopped_because
        return run

    def _kill(self, why: str) -> bool:
        self.stopped_because = why
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        return False

    def _death_reason(self) -> str:
        code = self.proc.poll() if self.proc else None
        if code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
            return f"CPU time limit ({self.limits.cpu_seconds} s for the notebook)"
        if code in (-signal.SIGKILL, 128 + signal.SIGKILL, 137):
            return "the kernel was killed (memory limit or a signal)"
        return f"the kernel stopped (exit status {code})"

    def call(self, name: str, payload: str, deadline: float) -> str | None:
        """Have the recorder call the student's ``name`` on ``payload``; the record's JSON text,
        or None when no record came back."""
        code = (f"__import__('__course_recorder__').publish(get_ipython().user_ns, {name!r}, "
                f"{payload!r})")
        run = self.execute(code, deadline, silent=True, mime=recorder.MIME)
        if run.limit:
            if not self.alive():
                raise KernelStopped(run.limit)
            raise (TimeLimit if "time limit" in run.limit.lower() else GradingLimit)(run.limit)
        if not run.outputs:
            return None
        text = run.outputs[0]["data"][recorder.MIME]
        return text if isinstance(text, str) else json.dumps(text)


def _find_kernel(root: int) -> int | None:
    """The ipykernel process among the descendants of the sandbox's first process."""
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if argv[0] == sys.executable.encode() and b"ipykernel_launcher" in argv:
                return pid
            pending += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return None


def _child_pid(fd: int, timeout: float) -> int | None:
    """The pid of the sandbox's first process, from bubblewrap's ``--info-fd`` JSON."""
    import select

    data = b""
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
            if not ready:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            data += chunk
            try:
                pid = json.loads(data.decode()).get("child-pid")
                return pid if isinstance(pid, int) else None
            except ValueError:
                continue
    finally:
        os.close(fd)
    return None


def _as_output(kind: str, content: dict) -> dict | None:
    """An iopub message as an nbformat output (None for the rest), copying only known fields."""
    if kind == "stream":
        return {"output_type": "stream", "name": "stderr" if content.get("name") == "stderr" else "stdout",
                "text": str(content.get("text", ""))}
    if kind in ("display_data", "execute_result"):
        data = content.get("data")
        if not isinstance(data, dict):
            return None
        out = {"output_type": kind, "data": {str(k): v for k, v in data.items()}, "metadata": {}}
        if kind == "execute_result":
            count = content.get("execution_count")
            out["execution_count"] = count if isinstance(count, int) else None
        return out
    if kind == "error":
        tb = content.get("traceback")
        return {"output_type": "error", "ename": str(content.get("ename", "Error"))[:200],
                "evalue": str(content.get("evalue", ""))[:5000],
                "traceback": [str(t) for t in tb][:200] if isinstance(tb, list) else []}
    return None
