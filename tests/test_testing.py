"""lib/testing.py: the checks behind the exercises' test cells say the right thing and catch
submissions that delegate to the reference."""
from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

import lib
import lib.activations
from lib import testing
from lib.testing import DelegationError


def stable_sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def test_a_correct_implementation_passes():
    testing.check_function(stable_sigmoid, lib.activations.sigmoid, np.array([-1e4, -2.0, 0.0, 3.0, 1e4]))


def test_a_wrong_value_names_the_input_the_expectation_and_the_result():
    def wrong(z):
        return 1 / (1 + np.exp(z))

    with pytest.raises(AssertionError) as info:
        testing.check_function(wrong, lib.activations.sigmoid, np.array([1.0, 2.0]), task="sigmoid")
    message = str(info.value)
    assert "sigmoid([1., 2.]" in message and "expected" in message and "got" in message
    assert "largest difference" in message


def test_a_wrong_shape_is_reported_as_such():
    with pytest.raises(AssertionError, match=r"shape \(3,\), got shape \(\)"):
        testing.check_function(lambda z: float(np.sum(z)), lib.activations.sigmoid, np.zeros(3))


def test_an_overflowing_result_is_called_out():
    def naive(z):
        with np.errstate(all="ignore"):
            return np.exp(z) / (1 + np.exp(z))

    with pytest.raises(AssertionError, match="numerically stable"):
        testing.check_function(naive, lib.activations.sigmoid, np.array([1e4]))


def test_an_exception_in_the_submission_becomes_a_message():
    def broken(z):
        raise NotImplementedError("not yet")

    with pytest.raises(AssertionError, match="raised NotImplementedError: not yet"):
        testing.check_function(broken, lib.activations.sigmoid, np.zeros(2))


def test_modifying_the_input_in_place_fails():
    def in_place(z):
        z *= -1
        return stable_sigmoid(-z)

    with pytest.raises(AssertionError, match="modified its input"):
        testing.check_function(in_place, lib.activations.sigmoid, np.array([1.0, 2.0]))


# Delegation, in every form a submission could take.
from lib.activations import sigmoid as imported_sigmoid  # noqa: E402


def direct(z):
    return lib.activations.sigmoid(z)


def through_alias(z):
    return imported_sigmoid(z)


def importing_inside(z):
    import lib.activations as acts
    return acts.sigmoid(z)


def through_torch(z):
    import torch
    return torch.sigmoid(torch.as_tensor(z)).numpy()


def helper_that_delegates(z):
    return lib.activations.sigmoid(z)


def through_a_helper(z):
    return helper_that_delegates(z)


def dynamic(z):
    return importlib.import_module("lib.activations").sigmoid(z)


@pytest.mark.parametrize("fn", [direct, through_alias, importing_inside, through_torch, through_a_helper,
                                lib.activations.sigmoid], ids=lambda f: f.__name__)
def test_delegation_is_caught_statically(fn):
    with pytest.raises(DelegationError, match="scores 0"):
        testing.check_function(fn, lib.activations.sigmoid, np.zeros(3), task="sigmoid")


def test_delegation_hidden_from_the_code_is_caught_when_it_runs():
    with pytest.raises(DelegationError, match="called lib.activations.sigmoid"):
        testing.check_function(dynamic, lib.activations.sigmoid, np.zeros(3), task="sigmoid")
    assert lib.activations.sigmoid(np.zeros(1))[0] == 0.5  # the tripwire is gone afterwards


@pytest.mark.parametrize("module, name", [("lib.metrics", "expected_calibration_error"),
                                          ("lib.layers", "dropout"), ("lib.mlp", "MLP"),
                                          ("lib.losses", "mse"), ("lib.losses.regression", "mse"),
                                          ("lib.losses.ranking", "bpr"), ("lib.optim", "Adam"),
                                          ("lib.optim.schedulers", "step_lr")])
def test_every_lib_module_is_tripwired(module, name):
    def hidden(z):  # the reference is looked up at run time, out of sight of the static check
        return getattr(importlib.import_module(module), name)(z)

    with pytest.raises(DelegationError, match=f"called {module}.{name}"):
        testing.check_function(hidden, lib.activations.sigmoid, np.zeros(3), task="sigmoid")


def test_a_closure_over_lib_is_caught():
    def make():
        ref = lib.activations.sigmoid
        return lambda z: ref(z)

    with pytest.raises(DelegationError):
        testing.assert_implemented(make())


def test_a_reassigned_reference_is_refused(monkeypatch):
    original = lib.activations.sigmoid
    monkeypatch.setattr(lib.activations, "sigmoid", lambda z: np.zeros_like(z))
    with pytest.raises(AssertionError, match="reassigned"):
        testing.check_function(stable_sigmoid, original, np.zeros(2))


def test_check_raises_accepts_the_expected_error_only():
    def strict(p):
        if np.any(p > 1):
            raise ValueError("p > 1")
        return p

    testing.check_raises(strict, np.array([2.0]))
    with pytest.raises(AssertionError, match="returned normally"):
        testing.check_raises(strict, np.array([0.5]))
    with pytest.raises(AssertionError, match="raised TypeError"):
        testing.check_raises(lambda p: (_ for _ in ()).throw(TypeError("x")), np.array([0.5]))


def test_compare_walks_dicts_and_tuples():
    testing.compare({"a": (1.0, np.ones(2))}, {"a": (1.0, np.ones(2))}, what="grads")
    with pytest.raises(AssertionError, match=r"grads\['a'\]\[1\]"):
        testing.compare({"a": (1.0, np.zeros(2))}, {"a": (1.0, np.ones(2))}, what="grads")
    with pytest.raises(AssertionError, match="keys"):
        testing.compare({"b": 1.0}, {"a": 1.0}, what="grads")


def test_hidden_inputs_are_the_same_for_every_student_and_reproducible(tmp_path, monkeypatch):
    monkeypatch.delenv(testing.SEED_ENV, raising=False)
    seeds = []
    for student in ("alice", "bob"):
        folder = tmp_path / "autograded" / student / "activations"
        folder.mkdir(parents=True)
        monkeypatch.chdir(folder)
        seeds.append(testing.grading_seed("sigmoid"))
    assert seeds[0] == seeds[1] == testing.grading_seed("sigmoid")
    assert testing.grading_seed("sigmoid") != testing.grading_seed("softmax")
    a = testing.hidden_arrays(testing.grading_rng("sigmoid"))
    b = testing.hidden_arrays(testing.grading_rng("sigmoid"))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_hidden_arrays_vary_in_shape_and_include_extremes():
    arrays = testing.hidden_arrays(np.random.default_rng(1), n=4)
    assert len({a.ndim for a in arrays}) >= 3
    assert np.max(np.abs(arrays[-1])) == 1e4


def recursive_sum(z):
    return 0.0 if np.size(z) == 0 else float(z[0]) + recursive_sum(z[1:])


def test_a_recursive_submission_is_analysed_once_and_passes():
    testing.assert_implemented(recursive_sum)


def test_something_that_is_not_a_function_is_refused():
    with pytest.raises(AssertionError, match="expected a function, got int"):
        testing.assert_implemented(3)


def test_a_reference_written_in_the_test_cell_is_accepted():
    def reference(z):
        return 2 * z

    testing.check_function(lambda z: z + z, reference, np.arange(3.0))


def test_compare_reports_wrong_counts_and_non_numbers():
    with pytest.raises(AssertionError, match="expected 2 values"):
        testing.compare((1.0,), (1.0, 2.0), what="step")
    with pytest.raises(AssertionError, match="expected numbers"):
        testing.compare("abc", 1.0, what="loss")


def test_check_raises_still_catches_delegation():
    with pytest.raises(DelegationError):
        testing.check_raises(direct, np.zeros(2))


def test_the_seed_can_be_salted_for_the_whole_course(monkeypatch):
    monkeypatch.delenv(testing.SEED_ENV, raising=False)
    unsalted = testing.grading_seed("sigmoid")
    monkeypatch.setenv(testing.SEED_ENV, "42")
    assert testing.grading_seed("sigmoid") != unsalted
    assert testing.grading_seed("sigmoid") == testing.grading_seed("sigmoid")


def test_hidden_arrays_without_extremes():
    arrays = testing.hidden_arrays(np.random.default_rng(2), n=3, extremes=())
    assert len(arrays) == 3


def test_lib_lists_its_modules():
    assert {"activations", "losses", "optim", "network", "testing"} <= set(dir(lib))


# The grader's proxies: the student's function runs in the sandbox, the test cell outside.
class Proxy:
    """What the grader binds a student's function name to: calls it elsewhere, returns the result."""

    __sandboxed__ = True

    def __init__(self, fn):
        self.fn, self.__name__ = fn, fn.__name__

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


def test_a_sandboxed_proxy_is_called_without_the_delegation_checks():
    proxy = Proxy(direct)  # the code behind it is not ours to inspect; lib is not reachable there
    testing.assert_implemented(proxy)
    assert testing.call_student(proxy, np.zeros(1), task="sigmoid")[0] == 0.5
    testing.check_function(proxy, lib.activations.sigmoid, np.array([-1.0, 0.0, 2.0]), task="sigmoid")
    with pytest.raises(AssertionError, match="largest difference"):
        testing.check_function(Proxy(lambda z: z), lib.activations.sigmoid, np.array([1.0]), task="sigmoid")


def test_only_a_true_sandboxed_flag_skips_the_checks():
    proxy = Proxy(direct)
    proxy.__sandboxed__ = "yes"
    with pytest.raises(DelegationError):
        testing.check_function(proxy, lib.activations.sigmoid, np.zeros(2), task="sigmoid")


# The kind of values: what a task's text says the function returns.
def test_booleans_fail_where_the_task_returns_floats():
    with pytest.raises(AssertionError, match=r"relu_grad\(.*expected float values \(dtype float64\), got dtype bool"):
        testing.check_function(lambda z: z > 0, lib.activations.relu_grad, np.array([-1.0, 0.0, 2.0]), task="relu_grad")


def test_integers_fail_where_the_task_returns_floats():
    with pytest.raises(AssertionError, match=r"expected float values \(dtype float64\), got dtype int"):
        testing.check_function(lambda z: (z > 0).astype(int), lib.activations.relu_grad, np.array([-1.0, 2.0]))
    with pytest.raises(AssertionError, match="expected float values"):
        testing.compare({"w": 0}, {"w": 0.0}, what="step")


def test_integers_of_any_width_pass_where_the_task_returns_integers():
    testing.compare(np.array([[1], [0]], dtype=np.int32), np.array([[1], [0]]), what="predict")
    testing.compare([3, 3, 1], [3, 3, 1], what="batch sizes")
    testing.compare(np.float32(0.5), 0.5, what="float32 is a float")
    with pytest.raises(AssertionError, match="expected integer values .*got dtype bool"):
        testing.compare(np.array([True, False]), np.array([1, 0]), what="predict")
    with pytest.raises(AssertionError, match="expected integer values .*got dtype float64"):
        testing.compare(np.array([1.0, 0.0]), np.array([1, 0]), what="predict")


def test_the_kind_of_values_check_can_be_turned_off():
    testing.check_function(lambda z: z > 0, lib.activations.relu_grad, np.array([-1.0, 2.0]), check_dtype=False)


def test_none_is_not_a_number():
    with pytest.raises(AssertionError, match="expected numbers, got None"):
        testing.compare(None, 1.0, what="loss")


def test_the_tripwire_leaves_nothing_behind_in_modules_it_imports():
    """A lib module imported for the first time while the tripwire is on must not keep it
    (lib.losses imports softplus from lib.activations by name)."""
    script = (
        "import numpy as np, lib.activations\n"
        "from lib.testing import check_function\n"
        "check_function(lambda z: np.exp(-np.logaddexp(0, -z)), lib.activations.sigmoid, np.zeros(2))\n"
        "import lib.losses\n"
        "print(lib.losses.bce_with_logits(np.zeros(2), np.ones(2)))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_the_tripwire_covers_every_module_of_lib_but_testing():
    import pkgutil

    found = {m.name for m in pkgutil.walk_packages(lib.__path__, "lib.") if "._" not in m.name}
    assert set(testing.LIB_MODULES) == found - {"lib.testing"}
    assert {"lib.losses.regression", "lib.optim.optimizers"} <= set(testing.LIB_MODULES)
