"""The integrity report (grading/similarity.py) on a synthetic class of the activations assignment.

In a private copy of the course (test_grading's ``course``): alice hands in the model answers and
bob an implementation written independently of them (tests/implementations); carol hands in bob's
code with every variable renamed and new comments; dave pastes lib's own functions (as the book
shows them); erin and frank hand in the blank release, grace and henry half of it (in two cells the
first function their own way, the second left as released). Written answers: alice's are the
model answers, bob writes his own on dead ReLUs, ivan hands in alice's with a few words changed.
"""
from __future__ import annotations

import csv
import inspect
import io
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ is not a package
from test_grading import Submissions, course, run  # noqa: E402,F401  (course: a fixture)
from implementations.activations import ALTERNATIVE  # noqa: E402

import lib.activations  # noqa: E402
from grading.similarity import LIB, similarity  # noqa: E402

ASSIGNMENT = "activations"
RENAMED = {"z": "x", "top": "peak", "lse": "log_norm", "grad": "slope", "e": "ex", "s": "probs",
           "K": "n", "J": "jac", "W": "weight", "b": "bias", "m": "mx", "v": "row", "i": "r",
           "j": "c", "W1": "A1", "b1": "c1", "W2": "A2", "b2": "c2", "_log_softmax_1d": "_one_row"}
LIB_PASTE = {  # answer cell -> lib's functions pasted into it
    "sigmoid-answer": [lib.activations._sigmoid, lib.activations.sigmoid],
    "softmax-answer": [lib.activations._shifted, lib.activations._softmax, lib.activations.softmax],
    "log-softmax-answer": [lib.activations.log_softmax],
    "jacobian-answer": [lib.activations.softmax_jacobian],
}

HALF_DONE = {  # answer cell -> the first of its two functions, written by each student their own way
    "grace": {
        "relu-answer": "def relu(z):\n    return np.clip(np.asarray(z, dtype=float), 0.0, None)",
        "leaky-answer": "def leaky_relu(z, alpha=0.01):\n    z = np.asarray(z, dtype=float)\n"
                        "    return np.maximum(z, 0) + alpha * np.minimum(z, 0)",
    },
    "henry": {
        "relu-answer": "def relu(z):\n    out = np.array(z, dtype=float)\n    out[out < 0] = 0.0\n    return out",
        "leaky-answer": "def leaky_relu(z, alpha=0.01):\n    out = np.array(z, dtype=float)\n"
                        "    out[out < 0] *= alpha\n    return out",
    },
}

BOBS_DEAD_RELU = """\
A dead ReLU neuron outputs zero for every example we feed it, because its weighted input never gets
above zero. Since the slope of ReLU on the negative side is exactly 0, backpropagation hands this
neuron a zero gradient on every step; its weights and bias are frozen and it cannot recover by
itself. Causes: a step size that is too big can throw the bias far negative in one update, and bad
initial weights can do the same. To avoid it, lower the learning rate, initialise carefully (He
initialisation, small positive bias) or use Leaky ReLU / ELU, which keep a small slope for
negative inputs so the neuron still learns."""
REWORDED = {"typically": "usually", "forever": "for good", "How it happens:": "Why:",
            "Prevention / recovery:": "Fixes:", "large": "big"}


def reworded(text: str) -> str:
    """``text`` with a few words changed, as a student hiding a copy might."""
    for old, new in REWORDED.items():
        text = text.replace(old, new)
    return text


def disguised(code: str) -> str:
    """``code`` with every local name renamed and its comments replaced by others."""
    code = re.sub(r"#.*", "# worked this out myself", code)
    code = re.sub(r"\b(" + "|".join(map(re.escape, RENAMED)) + r")\b", lambda m: RENAMED[m[1]], code)
    return re.sub(r"^(def .*:)$", r"\1\n    # step by step", code, flags=re.M)


@pytest.fixture(scope="module")
def report(course):
    """The class handed in, and the report run once: (flagged pairs, printed table, out folder)."""
    subs = Submissions(course, ASSIGNMENT)
    subs.hand_in("alice", subs.notebook())
    subs.hand_in("bob", subs.notebook({**ALTERNATIVE, "dead-relu-answer": BOBS_DEAD_RELU}, fill=False))
    subs.hand_in("carol", subs.notebook({k: disguised(v) for k, v in ALTERNATIVE.items()}, fill=False))
    subs.hand_in("dave", subs.notebook(
        {cell: "\n\n".join(inspect.getsource(f) for f in fs) for cell, fs in LIB_PASTE.items()}, fill=False))
    subs.hand_in("erin", subs.notebook(fill=False))
    subs.hand_in("frank", subs.notebook(fill=False))
    released = {c.metadata["nbgrader"]["grade_id"]: c.source for c in subs.release.cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    for student, own in HALF_DONE.items():  # the second function of each cell left as released
        subs.hand_in(student, subs.notebook(
            {cell: code + released[cell][released[cell].index("\n\n\ndef "):] for cell, code in own.items()},
            fill=False))
    assert all(old in subs.answers["dead-relu-answer"] for old in REWORDED), "the model answer changed"
    subs.hand_in("ivan", subs.notebook({"dead-relu-answer": reworded(subs.answers["dead-relu-answer"])}, fill=False))
    printed = io.StringIO()
    pairs = similarity(ASSIGNMENT, course_dir=course, out=printed)
    return pairs, printed.getvalue(), course / "similarity"


def student_pairs(pairs, kind: str = "code") -> set[frozenset]:
    return {frozenset((p.a, p.b)) for p in pairs if p.b != LIB and p.kind == kind}


def test_the_disguised_copy_shares_no_line_with_the_original():
    for original in ALTERNATIVE.values():
        common = set(original.splitlines()) & set(disguised(original).splitlines())
        assert all(not line.strip() for line in common), common


def test_independently_written_answers_are_not_flagged(report):
    pairs, _, _ = report
    assert frozenset(("alice", "bob")) not in student_pairs(pairs)


def test_a_copy_with_renamed_variables_and_new_comments_is_flagged_for_exactly_that_pair(report):
    pairs, printed, _ = report
    assert student_pairs(pairs) == {frozenset(("bob", "carol"))}
    pair = next(p for p in pairs if {p.a, p.b} == {"bob", "carol"})
    assert min(pair.similarity_a, pair.similarity_b) > 0.8
    assert set(pair.cells_a) == set(pair.cells_b) == set(ALTERNATIVE)  # every task copied
    assert re.search(r"^code\s+bob ~ carol\s+\d+%\s+\d+%", printed, re.M), printed


def test_code_pasted_from_lib_is_flagged_against_lib(report):
    pairs, printed, _ = report
    dave = [p for p in pairs if p.a == "dave" and p.b == LIB]
    assert dave, printed
    assert dave[0].similarity_a > 0.8
    assert set(dave[0].cells_a) == set(LIB_PASTE)
    where = Path(inspect.getsourcefile(lib.activations.softmax_jacobian)).relative_to(Path(lib.__file__).parent)
    assert f"lib/{where.as_posix()}:softmax_jacobian" in dave[0].cells_b
    assert re.search(r"^code\s+dave ~ lib\s+\d+%", printed, re.M), printed


def test_blank_and_half_done_submissions_are_not_flagged_for_the_stubs_they_share(report):
    pairs, printed, _ = report
    assert not any({"erin", "frank", "grace", "henry"} & {p.a, p.b} for p in pairs)
    assert "9 submissions (2 with no answer filled in, or unreadable)" in printed


def test_a_written_answer_copied_with_a_few_words_changed_is_flagged_for_exactly_that_pair(report):
    pairs, printed, _ = report
    assert student_pairs(pairs, "written") == {frozenset(("alice", "ivan"))}
    pair = next(p for p in pairs if p.kind == "written")
    assert pair.cells_a == pair.cells_b == ["dead-relu-answer"]
    assert re.search(r"^written\s+alice ~ ivan\s+\d+%\s+\d+%", printed, re.M), printed


def test_independently_written_prose_on_the_same_question_is_not_flagged(report):
    pairs, _, _ = report
    assert frozenset(("alice", "bob")) not in student_pairs(pairs, "written")


def test_the_html_and_csv_name_the_flagged_pairs_and_say_there_is_no_penalty(report):
    pairs, printed, out = report
    with (out / f"{ASSIGNMENT}.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {(r["kind"], r["student_a"], r["student_b"]) for r in rows} == {(p.kind, p.a, p.b) for p in pairs}
    assert {("code", "bob", "carol"), ("code", "dave", "lib"), ("written", "alice", "ivan")} <= \
        {(r["kind"], r["student_a"], r["student_b"]) for r in rows}
    html = (out / f"{ASSIGNMENT}.html").read_text()
    for name in ("students/bob.py", "students/carol.py", "students/dave.py", "reference/lib.py"):
        assert name in html
    assert "students/erin.py" not in html.split("<h2>Matched Code</h2>")[1]
    written = (out / f"{ASSIGNMENT}-written.html").read_text().split("<h2>Matched Code</h2>")[1]
    assert "students/alice.txt" in written and "students/ivan.txt" in written
    assert "students/bob.txt" not in written
    assert "no automatic penalty" in printed


@pytest.mark.parametrize("name", [f"{ASSIGNMENT}.html", f"{ASSIGNMENT}-written.html"])
def test_the_html_reports_load_nothing_from_the_network(report, name):
    html = (report[2] / name).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the report must work offline"
    assert "<style>" in html


def test_the_command_writes_where_asked_and_finds_the_same_in_another_process(report, course, tmp_path):
    """Another process salts Python's hash() differently: the pairs and numbers must not change."""
    result = run([sys.executable, "-m", "grading.similarity", ASSIGNMENT, "--threshold", "0.4",
                  "--out", str(tmp_path)], course, timeout=300)
    assert result.returncode == 0, result.stderr
    assert re.search(r"^code\s+bob ~ carol\s+100%\s+100%", result.stdout, re.M), result.stdout
    assert "above 40% shared" in result.stdout and "no automatic penalty" in result.stdout
    assert {p.name for p in tmp_path.iterdir()} == {f"{ASSIGNMENT}.html", f"{ASSIGNMENT}-written.html", f"{ASSIGNMENT}.csv"}
    between_students = []  # (the command imports the installed lib, which may differ from this one)
    for out in (report[2], tmp_path):
        with (out / f"{ASSIGNMENT}.csv").open() as f:
            between_students.append([r for r in csv.DictReader(f) if r["student_b"] != LIB])
    assert between_students[0] == between_students[1]


@pytest.mark.parametrize("args, message", [
    (["no-such-assignment"], r"unknown assignment 'no-such-assignment': the assignments are activations, "),
    (["losses"], r"no submissions of 'losses' under .*submitted/<student>/losses/"),
    (["activations", "--threshold", "40"], r"the threshold is a fraction of the answer code: between 0 and 1"),
])
def test_bad_input_is_one_line_saying_what_to_do(course, args, message):
    result = run([sys.executable, "-m", "grading.similarity", *args], course, timeout=120)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert re.search(message, result.stderr), result.stderr
