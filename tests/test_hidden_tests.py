"""The hidden tests catch the bugs they are written for, for every student.

Hidden inputs are the same for every student (``lib.testing.grading_seed`` depends on the task's
name only), so a bug a hidden test catches is caught for everyone, whatever folder grades it.
Each test below takes a solution notebook's model answers, puts one known bug into one answer,
runs the notebook's code cells in order in one namespace, in this process (as a student's kernel
runs them: plain functions, lib importable; no nbgrader, no kernel), and checks that the task's
hidden test cell fails with an ``AssertionError``, while the model answers pass every test cell.
"""
from __future__ import annotations

import re
import warnings
from functools import lru_cache
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest

from lib import testing

matplotlib.use("Agg")  # the backprop notebook plots its XOR demo

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
SOLUTION_MARKS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", re.M)


@pytest.fixture(autouse=True)
def no_salt(monkeypatch):
    """The hidden inputs the grader uses: no COURSE_GRADING_SEED."""
    monkeypatch.delenv(testing.SEED_ENV, raising=False)


@lru_cache(maxsize=None)
def notebook(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def model_answer(assignment: str, grade_id: str) -> str:
    (cell,) = [c for c in notebook(assignment).cells if nbgrader(c).get("grade_id") == grade_id]
    return SOLUTION_MARKS.sub("", cell.source)


def with_bug(assignment: str, grade_id: str, correct: str, buggy: str) -> dict[str, str]:
    """The answers with one bug: ``correct`` (found exactly once in the model answer of
    ``grade_id``) replaced by ``buggy``."""
    source = model_answer(assignment, grade_id)
    assert source.count(correct) == 1, f"{correct!r} is not (once) in the model answer of {grade_id}"
    return {grade_id: source.replace(correct, buggy)}


def run_cells(assignment: str, answers: dict[str, str] | None = None) -> dict[str, BaseException | None]:
    """Run the notebook's code cells in order, in one namespace, as a student's kernel does.

    Answer cells hold the model answer, or ``answers[grade_id]`` when given; test cells run as
    they are, hidden tests included. Like nbgrader, a cell that fails does not stop the rest.
    Returns grade_id -> what each graded test cell raised (None when it passed).
    """
    namespace: dict = {"__name__": "__main__"}
    results: dict[str, BaseException | None] = {}
    for index, cell in enumerate(notebook(assignment).cells):
        if cell.cell_type != "code":
            continue
        meta = nbgrader(cell)
        grade_id = meta.get("grade_id", f"cell-{index}")
        source = cell.source
        if meta.get("solution"):
            source = (answers or {}).get(grade_id, SOLUTION_MARKS.sub("", source))
        error = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a kernel prints warnings; they cost no points
            try:
                exec(compile(source, f"<{assignment}:{grade_id}>", "exec"), namespace)
            except BaseException as exc:  # noqa: BLE001 - recorded, as nbgrader records a failed cell
                error = exc
        if meta.get("grade") and not meta.get("solution"):
            results[grade_id] = error
    plt.close("all")
    return results


def assert_loses_hidden_points(assignment: str, answers: dict[str, str], hidden: str, message: str = "") -> None:
    """The hidden test cell ``hidden`` fails with an AssertionError whose message holds ``message``."""
    error = run_cells(assignment, answers)[hidden]
    assert isinstance(error, AssertionError), f"{hidden} did not fail with an AssertionError: {error!r}"
    assert message in str(error), f"{hidden} failed, but its message does not say {message!r}: {error}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_model_answers_pass_every_test_cell(assignment):
    results = run_cells(assignment)
    assert results, "no graded test cell found"
    failed = {grade_id: repr(error) for grade_id, error in results.items() if error is not None}
    assert not failed


def test_grading_seed_does_not_depend_on_the_folder(tmp_path, monkeypatch):
    seeds = set()
    for folder in (ROOT, tmp_path / "autograded" / "alice" / "activations",
                   tmp_path / "autograded" / "bob" / "activations"):
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(folder)
        seeds.add(testing.grading_seed("softmax"))
    assert len(seeds) == 1


# ---------------------------------------------------------------------------------------------
# activations

def test_softmax_shifted_by_global_max_loses_the_hidden_points():
    answers = with_bug("activations", "softmax-answer", "np.max(z, axis=axis, keepdims=True)", "np.max(z)")
    assert_loses_hidden_points("activations", answers, "softmax-hidden", "numerically stable")


def test_log_softmax_shifted_by_global_max_loses_the_hidden_points():
    answers = with_bug("activations", "log-softmax-answer", "np.max(z, axis=axis, keepdims=True)", "np.max(z)")
    assert_loses_hidden_points("activations", answers, "log-softmax-hidden", "numerically stable")


@pytest.mark.parametrize("buggy", ["z > 0", "(z > 0).astype(int)"], ids=["booleans", "integers"])
def test_relu_grad_not_returning_floats_loses_the_hidden_points(buggy):
    answers = with_bug("activations", "relu-answer", "np.where(z > 0, 1.0, 0.0)", buggy)
    assert_loses_hidden_points("activations", answers, "relu-hidden", "expected float values (dtype float64), got dtype")


# ---------------------------------------------------------------------------------------------
# losses

def test_kl_divergence_with_q_clipped_on_both_sides_loses_the_hidden_points():
    answers = with_bug("losses", "kl-answer", "np.maximum(np.asarray(q, dtype=float), PROB_EPS)",
                       "np.clip(np.asarray(q, dtype=float), PROB_EPS, 1 - PROB_EPS)")
    assert_loses_hidden_points("losses", answers, "kl-hidden")


@pytest.mark.parametrize("hidden, correct, buggy", [
    ("cross-entropy-hidden", "m = z.max(axis=1, keepdims=True)\n    log_sum_exp = m[:, 0]",
     "m = z.max()\n    log_sum_exp = m"),
    ("cross-entropy-grad-hidden", "np.exp(z - z.max(axis=1, keepdims=True))", "np.exp(z - z.max())"),
], ids=["cross_entropy", "cross_entropy_grad"])
def test_cross_entropy_shifted_by_global_max_loses_the_hidden_points(hidden, correct, buggy):
    answers = with_bug("losses", "cross-entropy-answer", correct, buggy)
    assert_loses_hidden_points("losses", answers, hidden, "numerically stable")


# ---------------------------------------------------------------------------------------------
# optimization

def test_rmsprop_with_eps_inside_the_square_root_loses_the_hidden_points():
    answers = with_bug("optimization", "rmsprop-step-answer", "(np.sqrt(v) + eps)", "np.sqrt(v + eps)")
    assert_loses_hidden_points("optimization", answers, "rmsprop-step-hidden")


def test_adam_with_eps_inside_the_square_root_loses_the_hidden_points():
    answers = with_bug("optimization", "adam-step-answer", "(np.sqrt(v_hat) + eps)", "np.sqrt(v_hat + eps)")
    assert_loses_hidden_points("optimization", answers, "adam-step-hidden")


@pytest.mark.parametrize("buggy", ["np.random.permutation(n)", "np.arange(n)\n    np.random.shuffle(order)"],
                         ids=["permutation", "shuffle"])
def test_minibatch_indices_shuffled_by_np_random_loses_the_hidden_points(buggy):
    answers = with_bug("optimization", "minibatch-indices-answer", "rng.permutation(n)", buggy)
    assert_loses_hidden_points("optimization", answers, "minibatch-indices-hidden", "left rng's state unchanged")


def test_minibatch_indices_drawn_from_rng_otherwise_than_by_permutation_passes():
    """The task asks for a permutation drawn from rng, not for rng.permutation's order."""
    answers = with_bug("optimization", "minibatch-indices-answer", "rng.permutation(n)", "np.argsort(rng.random(n))")
    results = run_cells("optimization", answers)
    assert results["minibatch-indices-test"] is None and results["minibatch-indices-hidden"] is None


# ---------------------------------------------------------------------------------------------
# backprop

def test_predict_with_a_strict_threshold_loses_the_hidden_points():
    answers = with_bug("backprop", "predict-answer", "[3] >= 0.5", "[3] > 0.5")
    assert_loses_hidden_points("backprop", answers, "predict-hidden")


def test_numerical_gradient_gets_float_arrays_as_its_task_promises():
    """An answer that relies on x being an array (x.copy(), then .flat assignment) is right by
    the task's text; a numpy scalar (3 * x for a 0-d x) would make it return zeros."""
    answers = {"numgrad-answer": '''def numerical_gradient(f, x, eps=1e-6):
    grad = np.zeros(x.shape)
    for i in range(x.size):
        plus, minus = x.copy(), x.copy()
        plus.flat[i] += eps
        minus.flat[i] -= eps
        grad.flat[i] = (f(plus) - f(minus)) / (2 * eps)
    return grad
'''}
    results = run_cells("backprop", answers)
    assert results["numgrad-test"] is None and results["numgrad-hidden"] is None, results
