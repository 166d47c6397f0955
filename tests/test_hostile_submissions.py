"""Hostile submissions, graded end to end by ``python -m grading.autograde A --jobs 2``.

Each attacker is a notebook a student could hand in: the release with its answer cells filled
(usually with WRONG functions, so that any point it scores is a point the attack won), plus an
attack in an answer cell or in a cell of its own. Attacks that try to *reach* something (the
course's files, the network, another student's scratch space) define the correct ``sigmoid`` only
when they reached it, so success shows up as points. Attacks on the grader itself ride on the
model answers: they must cost nothing but the attacking cell, and must not hurt anyone else.

One private course copy, one batch for the whole class (attackers and two honest students),
graded once (module fixture); then one test per attack and batch-wide tests: honest students get
every point, the course (and the repository's lib/ and solutions/, which the venv imports) is
unchanged, no process or sandbox folder is left, every student has a progress line, no
traceback, and feedback leaks neither hidden tests nor another student's work.

See ``grading/sandbox`` and ``grading/judge`` for the machinery, DESIGN.md ("The trust boundary
in grading") for why.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ is not a package
from test_grading import ROOT, Submissions, grade_id, nbgrader, points, run, scores  # noqa: E402

from grading.synthetic import copy_course, model_answers  # noqa: E402

CELL_SECONDS = 5  # the graded copy's per-cell limit: runaway cells stay short
UIDS = range(61000, 61064)  # the sandbox's slot uids (grading/sandbox/bwrap.py)
SOURCE = nbformat.read(ROOT / "solutions" / "activations" / "activations.ipynb", 4)
MODEL = model_answers(SOURCE)


# -- building blocks of the notebooks -------------------------------------------------------------

def _const(name: str, args: str = "z") -> str:
    return f"def {name}({args}):\n    return np.zeros(np.shape(z)) + 0.123\n\n\n"


WRONG = {  # a function of the right name for every task, wrong on every input
    "sigmoid-answer": _const("sigmoid"),
    "sigmoid-grad-answer": _const("sigmoid_grad"),
    "relu-answer": _const("relu") + _const("relu_grad"),
    "leaky-answer": _const("leaky_relu", "z, alpha=0.01") + _const("leaky_relu_grad", "z, alpha=0.01"),
    "softmax-answer": _const("softmax", "z, axis=-1"),
    "log-softmax-answer": _const("log_softmax", "z, axis=-1"),
    "jacobian-answer": _const("softmax_jacobian"),
    "collapse-answer": "def collapse_linear(W1, b1, W2, b2):\n    return np.zeros((1, 1)) + 0.123, np.zeros(1) + 0.123\n",
}
assert set(WRONG) == {grade_id(c) for c in SOURCE.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}, \
    "the activations notebook's answer cells changed"

# Defines the model sigmoid when the attack set ``reached``: a point scored is a boundary crossed.
GAIN = "\nif reached:\n" + textwrap.indent(MODEL["sigmoid-answer"], "    ") + "\n"


def reach(code: str) -> str:
    """A wrong sigmoid, then ``code`` (which sets ``reached``), then the model sigmoid if it did."""
    return WRONG["sigmoid-answer"] + "reached = False\n" + textwrap.dedent(code) + GAIN


@dataclass
class Attack:
    """A submission: ``base`` answers ("wrong", "model" or "blank"), answer cells replaced
    (``cells``), code cells inserted after a grade id (``extra``), a last edit of the notebook
    (``edit``), and the autograded points it must get (``expected``, given a ``Points``)."""

    base: str
    expected: Callable[["Points"], float]
    cells: dict[str, str] = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)
    edit: Callable | None = None
    xfail: str | None = None  # an attack that beats the grader today (reported, not hidden)


class Points:
    def __init__(self, source):
        self.source = source
        self.total = points(source)

    def task(self, *prefixes: str) -> float:
        return sum(points(self.source, p) for p in prefixes)

    def cell(self, gid: str) -> float:
        return sum(c.metadata["nbgrader"]["points"] for c in self.source.cells if grade_id(c) == gid)


def nothing(p: Points) -> float:
    return 0


def everything(p: Points) -> float:
    return p.total


def _delete_test_cell(gid: str):
    def edit(nb):
        nb.cells = [c for c in nb.cells if grade_id(c) != gid]
    return edit


def _edit_test_metadata(**changes):
    def edit(nb):
        for c in nb.cells:
            if grade_id(c) in ("sigmoid-test", "sigmoid-hidden"):
                c.metadata["nbgrader"].update(changes)
                c.source = "pass  # nothing to see"
    return edit


def _strip_answer_metadata(nb):
    for c in nb.cells:
        if grade_id(c) == "relu-answer":
            c.metadata = {}


def _duplicate_answer_cell(nb):
    i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "relu-answer")
    nb.cells.insert(i + 1, nbformat.from_dict(nbformat.reads(nbformat.writes(nb), 4).cells[i]))
    nb.cells[i + 1]["id"] = "dup-relu-answer"


def _test_id_on_student_cell(before: bool):
    """A cell of the student's carrying a test cell's metadata (grade id included), before or
    after the real one, after a cell that installs a fake ``lib`` whose checks pass: if the
    copy run in the sandbox were the one scored, the fake would win its points."""
    def edit(nb):
        i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "sigmoid-hidden")
        fake = nbformat.from_dict(nbformat.reads(nbformat.writes(nb), 4).cells[i])
        fake["id"] = "fake-test-cell"
        fake.source = "from lib.testing import check_function\ncheck_function(sigmoid, None, np.zeros(3))"
        nb.cells.insert(i + 1 if not before else i, fake)
    return edit


FAKE_LIB = """
import sys, types
for _name in ("lib", "lib.testing", "lib.activations", "lib.mlp"):
    _m = types.ModuleType(_name)
    _m.__path__ = []
    _m.check_function = _m.compare = _m.assert_implemented = lambda *a, **k: None
    _m.grading_rng = lambda *a, **k: __import__("numpy").random.default_rng(0)
    _m.hidden_arrays = lambda *a, **k: []
    _m.sigmoid = _m.relu = _m.softmax = lambda *a, **k: 0
    sys.modules[_name] = _m
sys.modules["lib"].testing = sys.modules["lib.testing"]
sys.modules["lib"].activations = sys.modules["lib.activations"]
"""

# -- the attacks ----------------------------------------------------------------------------------
# Keys are test names (test_<key>). Unless stated, an attacker's answers are all wrong and it must
# score 0; attacks on the grader ride on the model answers and must cost nothing.

ATTACKS: dict[str, Attack] = {
    # switching the checks off from the student's cells
    "faking_lib_testing_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": FAKE_LIB + WRONG["sigmoid-answer"]}),
    "replacing_numpy_allclose_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": """
import numpy, numpy.testing
numpy.allclose = numpy.array_equal = numpy.array_equiv = lambda *a, **k: True
numpy.isclose = lambda a, b, *r, **k: numpy.ones(numpy.shape(a), dtype=bool)
numpy.testing.assert_allclose = numpy.testing.assert_array_equal = lambda *a, **k: None
numpy.testing.assert_array_almost_equal = numpy.testing.assert_equal = lambda *a, **k: None
""" + WRONG["sigmoid-answer"]}),
    "replacing_builtins_import_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": WRONG["sigmoid-answer"] + """
import builtins, types
_real_import = builtins.__import__
def _import(name, *args, **kwargs):
    if name.split(".")[0] in ("lib", "numpy.testing"):
        m = types.ModuleType(name)
        m.check_function = m.compare = lambda *a, **k: None
        return m
    return _real_import(name, *args, **kwargs)
builtins.__import__ = _import
"""}),
    "blanking_later_cells_with_an_input_transformer_gains_nothing": Attack("wrong", nothing, {
        "collapse-answer": WRONG["collapse-answer"]
        + "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"
        + "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n"}),
    "tracing_and_profiling_hooks_gain_nothing": Attack("wrong", nothing, {"sigmoid-answer": WRONG["sigmoid-answer"] + """
import sys, threading
def _tracer(frame, event, arg):
    if event == "exception":
        frame.f_locals.clear()
    return _tracer
sys.settrace(_tracer); threading.settrace(_tracer)
sys.setprofile(lambda frame, event, arg: None)
"""}),
    "swallowing_errors_with_excepthook_and_showtraceback_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": WRONG["sigmoid-answer"] + """
import sys
sys.excepthook = lambda *a: None
ip = get_ipython()
ip.showtraceback = lambda *a, **k: None
ip.showsyntaxerror = lambda *a, **k: None
ip.set_custom_exc((BaseException,), lambda self, etype, value, tb, tb_offset=None: None)
"""}),
    "results_that_equal_everything_gain_nothing": Attack("wrong", nothing, {
        "sigmoid-answer": """
class Liar(float):
    __eq__ = __le__ = __ge__ = lambda self, other: True
    __ne__ = __lt__ = __gt__ = lambda self, other: False
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no")

class Everything:
    __eq__ = lambda self, other: True
    __array_priority__ = 1e9
    def __array__(self, dtype=None, copy=None):
        import numpy
        return numpy.zeros(3)
    shape = property(lambda self: (5,))

def sigmoid(z):
    return Everything()

def sigmoid_grad(z):
    return Liar(0.25)
""", "sigmoid-grad-answer": "", "relu-answer": """
class Sub(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
    __array_priority__ = 1e9

def relu(z):
    return np.zeros(np.shape(z)).view(Sub)

def relu_grad(z):
    return np.zeros(np.shape(z)).view(Sub)
"""}),
    "weird_containers_as_results_gain_nothing": Attack("wrong", nothing, {
        "sigmoid-answer": "def sigmoid(z):\n    return {(1, 2): z, 'x': z, 3.5: [z] * 3}\n",
        "sigmoid-grad-answer": "def sigmoid_grad(z):\n    out = [];\n    for _ in range(10000):\n        out = [out]\n    return out\n",
        "softmax-answer": "def softmax(z, axis=-1):\n    return [np.zeros(np.shape(z)), {None: 1}, np.array(['a']), 1j]\n",
    }),
    "an_enormous_result_gains_nothing": Attack("wrong", nothing, {
        "sigmoid-answer": "def sigmoid(z):\n    return np.zeros(int(1e8))\n"}),
    "a_result_that_never_ends_gains_nothing": Attack("wrong", nothing, {
        "sigmoid-answer": "import itertools\n\ndef sigmoid(z):\n    return itertools.count()\n",
        "sigmoid-grad-answer": "def sigmoid_grad(z):\n    def gen():\n        while True:\n            yield np.zeros(1000)\n    return gen()\n"}),
    "raising_systemexit_keyboardinterrupt_and_baseexception_gains_nothing": Attack("wrong", nothing, {
        "sigmoid-answer": "def sigmoid(z):\n    raise SystemExit(0)\n",
        "sigmoid-grad-answer": "def sigmoid_grad(z):\n    raise KeyboardInterrupt\n",
        "relu-answer": "class Out(BaseException):\n    pass\n\ndef relu(z):\n    raise Out('passed')\n\n"
                       "def relu_grad(z):\n    raise GeneratorExit\n",
        "softmax-answer": "class AssertionError(Exception):\n    pass\n\ndef softmax(z, axis=-1):\n    raise StopIteration\n"}),
    "forging_the_recorders_records_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": """
import json
from IPython.display import publish_display_data
MIME = "application/x-course-record+json"
publish_display_data({MIME: json.dumps({"result": 1.0})})  # outside any call

def _forge(value):
    publish_display_data({MIME: value})

def sigmoid(z):
    _forge(json.dumps({"result": {"$nd": ["<f8", [3], "AAAA"]}}))
    _forge(json.dumps({"result": {"$nd": ["|O", [1], "AAAAAAAAAAA="]}}))
    _forge(json.dumps({"raised": ["SystemExit", "BaseException", "ok"]}))
    _forge({"result": {"$fn": ["f", "", []]}})
    _forge(json.dumps({"result": {"$nd": ["<f8", [10**12], ""]}}))
    return np.zeros(np.shape(z)) + 0.123

def sigmoid_grad(z):
    _forge(json.dumps({"result": np.asarray(z).tolist(), "after": {"args": [{"$nd": ["<f8", [1], "AAAAAAAAAAA="]}]}}))
    return None
""", "sigmoid-grad-answer": ""}),
    "replacing_the_recorder_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": WRONG["sigmoid-answer"] + """
import json, sys
r = sys.modules["__course_recorder__"]
from IPython.display import publish_display_data
r.publish = lambda ns, name, payload: publish_display_data({r.MIME: json.dumps({"result": json.loads(payload)["args"][0]})})
r.call = lambda *a, **k: {"result": True}
r.encode = lambda obj, *a, **k: True
sys.modules["__course_recorder__"] = r
"""}),
    "climbing_the_call_stack_for_the_expected_value_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": reach("""
import inspect, sys, gc
def sigmoid(z):
    f = sys._getframe()
    while f is not None:
        for key in ("expected", "ref", "reference"):
            if key in f.f_locals and callable(f.f_locals[key]):
                return f.f_locals[key](z)
            if key in f.f_locals and not callable(f.f_locals[key]):
                return f.f_locals[key]
        f = f.f_back
    for frame in inspect.stack():
        if "expected" in frame.frame.f_locals:
            return frame.frame.f_locals["expected"]
    for obj in gc.get_objects():
        if callable(obj) and getattr(obj, "__module__", "") == "lib.activations":
            return obj(z)
    return np.zeros(np.shape(z)) + 0.123
""")}),
    "mutating_the_input_in_place_gains_nothing": Attack("wrong", nothing, {
        "relu-answer": "def relu(z):\n    z[...] = -1.0\n    return np.zeros(np.shape(z))\n\n"
                       "def relu_grad(z):\n    z[...] = -1.0\n    return np.zeros(np.shape(z))\n"}),
    # using the reference
    "importing_lib_and_torch_gains_nothing": Attack("wrong", nothing, {
        "sigmoid-answer": "import lib\n\ndef sigmoid(z):\n    return lib.activations.sigmoid(z)\n",
        "sigmoid-grad-answer": "def sigmoid_grad(z):\n    import torch\n    return torch.sigmoid(torch.tensor(z)).numpy()\n",
        "relu-answer": "from lib.activations import relu, relu_grad\n",
        "softmax-answer": "def softmax(z, axis=-1):\n    import scipy.special\n    return scipy.special.softmax(z, axis=axis)\n"}),
    "executing_lib_source_from_disk_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": reach("""
import glob, os, sys, importlib.util
candidates = ["/work/main/lib/activations.py"]
for prefix in {sys.prefix, sys.base_prefix, "/work", "/usr", "/"}:
    candidates += glob.glob(os.path.join(prefix, "**", "activations.py"), recursive=True)[:50]
for path in candidates:
    try:
        ns = {"__name__": "lib.activations"}
        exec(open(path).read(), ns)
        if "sigmoid" in ns:
            reached = True
            break
    except BaseException:
        pass
spec = importlib.util.find_spec("lib")
try:
    reached = reached or any(os.path.exists(os.path.join(p, "activations.py")) for p in spec.submodule_search_locations)
except Exception:
    pass
""")}),
    "capturing_the_reference_in_a_default_argument_gains_nothing": Attack("wrong", nothing, {
        "sigmoid-answer": "def sigmoid(z, _ref=__import__('lib.activations').activations.sigmoid):\n    return _ref(z)\n",
        "relu-answer": WRONG["relu-answer"] + "try:\n    def relu(z, _r=__import__('lib.activations', fromlist=['relu']).relu):\n"
                       "        return _r(z)\nexcept BaseException:\n    pass\n"}),
    # reading and writing the course
    "reading_the_course_files_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": reach("""
import glob, os
found = []
for pattern in ["/work/main/solutions/*/*.ipynb", "/work/main/**/gradebook.db", "../../submitted/*/*/*.ipynb",
                "../*/*.ipynb", "/tmp/**/*.ipynb", "/tmp/**/gradebook.db", "/root/**/*.ipynb", "/home/**/*.ipynb",
                "/proc/1/root/work/main/solutions/*/*.ipynb", "/proc/*/cwd/*.ipynb", "/proc/*/cwd/gradebook.db"]:
    try:
        found += glob.glob(pattern, recursive=True)[:20]
    except OSError:
        pass
for path in found:
    try:
        text = open(path, errors="replace").read()
    except OSError:
        continue
    if any(("BEGIN " + word) in text for word in ("SOLUTION", "HIDDEN TESTS")) or "SQLite" in text:
        print("SECRET" + "-FOUND", path, text[:2000])  # (split: the feedback shows this cell's source)
        reached = True
print(sorted(os.listdir("/")), os.listdir("."))
""")}),
    "writing_and_deleting_course_files_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": reach("""
import os, shutil, glob
targets = ["/work/main/lib/activations.py", "/work/main/lib/testing.py", "/work/main/solutions/activations/activations.ipynb",
           "/work/main/nbgrader_config.py", "/work/main/gradebook.db", "../../submitted/x.ipynb", "../activations.ipynb",
           "/work/main/.venv/lib/python3.11/site-packages/numpy/__init__.py"]
for path in targets:
    try:
        with open(path, "a") as f:
            f.write("\\n# pwned\\n")
        reached = True
    except OSError:
        pass
    try:
        os.remove(path)
        reached = True
    except OSError:
        pass
for path in glob.glob("/work/main/*") + glob.glob("/tmp/*"):
    try:
        os.chmod(path, 0o777)
        shutil.rmtree(path)
        reached = reached or path.startswith("/work")
    except OSError:
        pass
for path in (".", "/home/student", "/tmp"):
    try:
        open(os.path.join(path, "activations.ipynb"), "w").write("{}")
        os.chmod(path, 0)
    except OSError:
        pass
""")}),
    "a_handoff_through_tmp_reaches_no_one": Attack("wrong", nothing, {"sigmoid-answer": reach("""
import os, time, glob
end = time.monotonic() + 3
while time.monotonic() < end and not reached:
    for path in glob.glob("/tmp/handoff*.py") + glob.glob("/home/student/handoff*.py") + glob.glob("/dev/shm/handoff*.py"):
        reached = True
    time.sleep(0.2)
""")}),
    "leaving_a_handoff_in_tmp_costs_nothing": Attack("model", everything, extra=[("imports", """
import textwrap
for folder in ("/tmp", "/home/student", "/dev/shm"):
    try:
        with open(folder + "/handoff.py", "w") as f:
            f.write("print('hello')\\n")
    except OSError:
        pass
""")]),
    "reaching_the_network_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": reach("""
import socket
for address in [("127.0.0.1", 22), ("8.8.8.8", 53), ("1.1.1.1", 443), ("pypi.org", 443)]:
    try:
        socket.create_connection(address, timeout=2).close()
        reached = True
    except OSError:
        pass
""")}),
    "filling_the_hosts_disk_through_the_kernels_socket_folder_gains_nothing": Attack("wrong", nothing, cells={
        "sigmoid-answer": reach("""
import json, os, sys
connection = sys.argv[sys.argv.index("-f") + 1] if "-f" in sys.argv else "/nonexistent/kernel.json"
folders = {os.path.dirname(connection)}
try:
    folders.add(os.path.dirname(json.load(open(connection))["ip"]))  # where the sockets are
except (OSError, ValueError, KeyError):
    pass
written = 0
for folder in folders:
    for i in range(4):
        try:
            with open(os.path.join(folder, f"fill{i}.bin"), "wb") as f:
                for _ in range(60):
                    f.write(b"x" * (1 << 20))
                    written += 1 << 20
        except OSError:
            pass
reached = written > 100 << 20
""")}),
    # damaging the grader (on top of the model answers: it must cost nothing, and hurt no one)
    "killing_the_kernels_parent_costs_nothing": Attack("model", everything, extra=[("imports", "import os\nos.kill(os.getppid(), 9)")]),
    "killing_every_process_costs_nothing": Attack("model", everything, extra=[("imports", "import os\nos.kill(-1, 9)")]),
    "killing_pid_1_costs_nothing": Attack("model", everything, extra=[("imports", "import os, signal\nfor s in (15, 9):\n    try:\n        os.kill(1, s)\n    except OSError:\n        pass")]),
    "a_fork_bomb_costs_nothing": Attack("model", everything, extra=[("imports", """
import os, time
for _ in range(400):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(1000)
        os._exit(0)
""")]),
    "a_background_process_does_not_outlive_grading": Attack("model", everything, extra=[("imports", """
import subprocess, os
subprocess.Popen(["sleep", "1000"], start_new_session=True)
subprocess.Popen(["sh", "-c", "nohup sleep 1001 >/dev/null 2>&1 &"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        import time
        time.sleep(1002)
    os._exit(0)
""")]),
    "threads_printing_forever_cost_nothing": Attack("model", everything, extra=[("imports", """
import threading, time, sys
def chatter():
    while True:
        print("chatter " * 10)
        print("noise", file=sys.stderr)
        time.sleep(0.005)
for _ in range(3):
    threading.Thread(target=chatter, daemon=True).start()
""")]),
    "os_exit_in_a_cell_costs_nothing": Attack("model", everything, extra=[("imports", "import os\nos._exit(0)")]),
    "an_uninterruptible_loop_costs_nothing": Attack("model", everything, extra=[("imports", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")]),
    "a_loop_on_hidden_inputs_costs_only_the_hidden_test": Attack("model", lambda p: p.total - p.cell("relu-hidden"), {
        "relu-answer": MODEL["relu-answer"].replace('    z = np.asarray(z, dtype=float)\n    return np.maximum(z, 0.0)',
                                                    '    z = np.asarray(z, dtype=float)\n    while z.shape == (3,):\n        pass\n    return np.maximum(z, 0.0)')}),
    "a_memory_hog_costs_nothing": Attack("model", everything, extra=[("imports", """
def hog():
    chunks = []
    while True:
        chunks.append(np.empty(1 << 27))
try:
    big = bytearray(20 << 30)
except MemoryError:
    pass
hog()
""")]),
    "printing_200_mb_in_lines_costs_nothing": Attack("model", everything, extra=[("imports", "for _ in range(200):\n    print('x' * 1_000_000)")]),
    "printing_200_mb_in_one_line_costs_nothing": Attack("model", everything, extra=[("imports", "print('x' * 200_000_000)")]),
    "filling_the_scratch_folder_costs_nothing": Attack("model", everything, extra=[("imports", """
import os
for folder in ("/home/student", "/tmp", "/dev/shm"):
    try:
        with open(os.path.join(folder, "big.bin"), "wb") as f:
            for _ in range(1024):
                f.write(b"x" * (1 << 20))
    except OSError as exc:
        print(folder, exc)
    for i in range(2000):
        try:
            open(os.path.join(folder, f"f{i}"), "w").write("x" * 60_000)
        except OSError:
            break
""")]),
    # test cells under a student's control
    "a_test_id_on_an_earlier_student_cell_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": FAKE_LIB + WRONG["sigmoid-answer"]},
                                                                 edit=_test_id_on_student_cell(before=True)),
    "a_test_id_on_a_later_student_cell_gains_nothing": Attack("wrong", nothing, {"sigmoid-answer": FAKE_LIB + WRONG["sigmoid-answer"]},
                                                              edit=_test_id_on_student_cell(before=False)),
    # honest variations that must not cost a point
    "a_duplicated_answer_cell_costs_nothing": Attack("model", everything, edit=_duplicate_answer_cell),
    "debug_prints_cost_nothing": Attack("model", everything, {"sigmoid-answer": "import sys\n" + MODEL["sigmoid-answer"].replace(
        "    z = np.asarray(z, dtype=float)\n", "    print('debug', z)\n    print('debug', z, file=sys.stderr)\n    z = np.asarray(z, dtype=float)\n", 1)}),
    "edited_test_points_and_lock_are_restored": Attack("model", everything, edit=_edit_test_metadata(points=100, locked=False)),
    "a_test_cell_marked_ungraded_is_restored": Attack("model", everything, edit=_edit_test_metadata(grade=False)),
    "an_answer_cell_without_metadata_costs_nothing": Attack("model", everything, edit=_strip_answer_metadata),
    "extra_cells_cost_nothing": Attack("model", everything, extra=[("imports", "def helper(x):\n    return x\n"),
                                                                     ("relu-hidden", "print(helper(relu(np.array([-1.0, 1.0]))))")]),
    "a_deleted_test_cell_is_restored_and_graded": Attack("model", everything, edit=_delete_test_cell("relu-test")),
}
HONEST = ("honest-ann", "honest-ben")
assert "while z.shape" in ATTACKS["a_loop_on_hidden_inputs_costs_only_the_hidden_test"].cells["relu-answer"]


def student(name: str) -> str:
    return name.replace("_", "-")


def build(subs: Submissions, who: str, attack: Attack) -> nbformat.NotebookNode:
    base = {"wrong": WRONG, "model": MODEL, "blank": {}}[attack.base]
    answers = {**base, **attack.cells}
    # a signature of the author, to find another student's work in feedback
    answers["sigmoid-answer"] = f"# written by {who}\n" + answers.get("sigmoid-answer", "raise NotImplementedError()")
    nb = subs.notebook(answers, fill=False)
    for after, code in reversed(attack.extra):
        i = next(i for i, c in enumerate(nb.cells) if grade_id(c) == after)
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell(code))
    if attack.edit:
        attack.edit(nb)
    return nb


# -- the batch ------------------------------------------------------------------------------------

def tree_digest(*roots: Path) -> dict[str, str]:
    out = {}
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for p in files:
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def sandbox_processes(marker: str) -> list[str]:
    """Processes of this run's sandboxes: bubblewrap and kernels naming this run's folders
    (``marker``), and every process of a sandbox uid in their PID namespaces or in a PID
    namespace no kernel is left in (an orphan). Other grading runs on the machine (same uids,
    their own folders) are not this run's."""
    procs = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            cmd = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ns = os.readlink(status.parent / "ns" / "pid")
        except (OSError, ValueError):
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", text, re.M).group(1))
        procs.append((status.parent.name, uid, cmd, ns))
    kernels = {ns: marker in cmd for _, _, cmd, ns in procs if "nnc-grading-" in cmd and "ipykernel" in cmd}
    return [f"{pid} uid={uid} {cmd[:160]}" for pid, uid, cmd, ns in procs
            if marker in cmd or (uid in UIDS and kernels.get(ns, True))]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("hostile-course"))
    with (course / "nbgrader_config.py").open("a") as f:
        f.write(f"\nc.SandboxedExecute.cell_seconds = {CELL_SECONDS}\n")
    nbgrader(course, "generate_assignment", "activations", "--force")
    subs = Submissions(course, "activations")
    for name in HONEST:
        subs.hand_in(name, build(subs, name, Attack("model", everything)))
    for name, attack in ATTACKS.items():
        subs.hand_in(student(name), build(subs, student(name), attack))

    guarded = [course / "solutions", course / "exercises", course / "grading", course / "nbgrader_config.py",
               ROOT / "lib", ROOT / "solutions"]
    before = tree_digest(*guarded)
    private_tmp = Path(tempfile.mkdtemp(prefix="hostile-tmp-"))
    os.chmod(private_tmp, 0o755)
    os.environ["TMPDIR"] = str(private_tmp)  # this run's sandbox folders, apart from anyone else's
    try:
        began = time.monotonic()
        progress = run([sys.executable, "-m", "grading.autograde", "activations", "--jobs", "2"], course, timeout=1800)
        seconds = time.monotonic() - began
        feedback = run([str(Path(sys.executable).parent / "nbgrader"), "generate_feedback", "activations", "--force"], course)
    finally:
        del os.environ["TMPDIR"]
    time.sleep(1)
    leftovers = sandbox_processes(str(private_tmp))
    after = tree_digest(*guarded)
    left_in_tmp = sorted(p.name for p in private_tmp.iterdir())
    shutil.rmtree(private_tmp, ignore_errors=True)
    return dict(course=course, subs=subs, progress=progress, feedback=feedback, seconds=seconds,
                scores=scores(course, "activations"), before=before, after=after, leftovers=leftovers,
                tmp=left_in_tmp, points=Points(subs.source))


def _attack_test(name: str, attack: Attack):
    def test(batch):
        got = batch["scores"].get(student(name))
        line = next((ln for ln in batch["progress"].stdout.splitlines() if f"] {student(name)}:" in ln), "no progress line")
        assert got == attack.expected(batch["points"]), f"{student(name)} scored {got}: {line}"
    test.__name__ = f"test_{name}"
    test.__doc__ = f"The attacker {student(name)!r} scores exactly what its honest part earns."
    if attack.xfail:
        test = pytest.mark.xfail(strict=True, reason=attack.xfail)(test)
    return test


for _name, _attack in ATTACKS.items():
    globals()[f"test_{_name}"] = _attack_test(_name, _attack)


# -- batch-wide ---------------------------------------------------------------------------------

def test_the_class_is_large_enough():
    assert len(ATTACKS) >= 28


def test_honest_students_get_every_point(batch):
    for name in HONEST:
        assert batch["scores"][name] == batch["points"].total, batch["progress"].stdout


def test_the_course_and_the_repository_are_unchanged(batch):
    changed = sorted(p for p in set(batch["before"]) | set(batch["after"])
                     if batch["before"].get(p) != batch["after"].get(p))
    assert not changed, f"changed while grading: {changed[:10]}"


def test_no_process_outlives_grading(batch):
    assert not batch["leftovers"], batch["leftovers"]


def test_no_sandbox_folder_is_left(batch):
    assert not [n for n in batch["tmp"] if n.startswith("nnc-grading-")], batch["tmp"]


def _line(batch, name: str) -> str:
    return next((ln for ln in batch["progress"].stdout.splitlines() if re.match(rf"\[ *\d+/\d+\] {re.escape(name)}: ", ln)), "")


def test_every_student_has_a_progress_line_and_no_traceback(batch):
    progress = batch["progress"]
    for name in [*HONEST, *map(student, ATTACKS)]:
        line = _line(batch, name)
        assert re.search(r": \d+(\.\d+)? / \d+ points in [\d.]+ s|: (FAILED|UNGRADEABLE) — \S", line), \
            f"{name} has no progress line:\n{progress.stdout}"
    assert "Traceback" not in progress.stdout + progress.stderr, progress.stderr[-3000:]


def test_every_submission_is_graded(batch):
    for name in [*HONEST, *map(student, ATTACKS)]:
        assert re.search(r": \d+(\.\d+)? / \d+ points in [\d.]+ s", _line(batch, name)), _line(batch, name)
    total = len(HONEST) + len(ATTACKS)
    assert f"{total} of {total} submissions of 'activations' graded" in batch["progress"].stdout
    assert batch["progress"].returncode == 0


def test_the_grading_run_stays_short(batch):
    assert batch["seconds"] < 900, f"the batch took {batch['seconds']:.0f} s"


def _feedback_pages(batch) -> dict[str, str]:
    import html
    pages = {}
    for page in (batch["course"] / "feedback").glob("*/activations/activations.html"):
        pages[page.parent.parent.name] = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
    return pages


def test_feedback_holds_no_hidden_tests_no_solutions_and_nobody_elses_work(batch):
    assert batch["feedback"].returncode == 0, batch["feedback"].stderr[-3000:]
    subs = batch["subs"]
    pages = _feedback_pages(batch)
    everyone = [*HONEST, *map(student, ATTACKS)]
    assert set(pages) == set(everyone)
    visible = "\n".join(c.source for c in subs.release.cells)
    hidden = [ln.strip() for c in subs.source.cells if "BEGIN HIDDEN TESTS" in c.source
              for ln in c.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
              if len(ln.strip()) > 12 and ln.strip() not in visible]
    # lines of model answers no wrong-answer attacker wrote itself (the sigmoid's is in GAIN)
    solutions = [ln.strip() for gid in ("log-softmax-answer", "jacobian-answer", "collapse-answer")
                 for ln in MODEL[gid].splitlines() if len(ln.strip()) > 20 and "def " not in ln and '"""' not in ln
                 and ln.strip() not in MODEL["sigmoid-answer"]]
    assert hidden and solutions
    for who, text in pages.items():
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text, who
        assert not [ln for ln in hidden if ln in text], f"{who}'s feedback shows hidden tests"
        assert "SECRET-FOUND" not in text, f"{who}'s feedback shows a file of the course"
        others = [o for o in everyone if o != who and f"# written by {o}\n" in text]
        assert not others, f"{who}'s feedback shows work of {others}"
        attack = ATTACKS.get(next((n for n in ATTACKS if student(n) == who), ""), None)
        if attack is not None and attack.base == "wrong":
            assert not [ln for ln in solutions if ln in text], f"{who}'s feedback shows model answers"
