"""Checks for the exercise notebooks' test cells (as numpy's own tests use ``numpy.testing``).

A test cell stays short: it calls one of these, and the message a student reads comes from here.

- ``check_function(fn, reference, *args)`` compares a student's function with lib's on given
  inputs and says what was expected, what came back, and for which input. The result must have
  the reference's kind of values: floats where lib returns floats (a boolean or integer array
  fails), integers where lib returns integers (indices, classes).
- ``assert_implemented(fn)`` fails when the student's function calls lib or torch (or another
  framework) instead of implementing: a task that delegates scores 0, with that reason. Every
  ``check_*`` calls it first.
- ``grading_rng(task)`` draws hidden inputs from a seed derived from the task's name only: every
  student gets the same hidden inputs, so the same code gets the same grade, and a regrade gives
  the same result. Hidden inputs are never shown, except in the message of a failing test.
- ``hidden_arrays(rng)`` draws a handful of arrays of varied shapes, extremes included.

When the grader runs the test cells outside the student's sandbox, the student's function names
are bound to proxies (callables with ``__sandboxed__ = True``) that run the function in the
sandbox and return its decoded result. For those, the delegation checks are skipped here: lib
and torch cannot be imported inside the sandbox. In JupyterLab the names are plain functions and
every check applies.
"""
from __future__ import annotations

import contextlib
import dis
import hashlib
import importlib
import os
import pkgutil
import types
from typing import Any, Callable, Iterator, Sequence

import numpy as np

import lib

FORBIDDEN = ("lib", "torch", "scipy", "sklearn", "tensorflow", "jax", "keras")
# Every public module of the reference but this one, found by walking the package (subpackages
# such as lib.losses and their family modules included): all are tripwired while a submission runs.
LIB_MODULES = tuple(
    m.name for m in pkgutil.walk_packages(lib.__path__, "lib.")
    if m.name != __name__ and not any(part.startswith("_") for part in m.name.split("."))
)
SEED_ENV = "COURSE_GRADING_SEED"  # an optional course-wide salt of the hidden inputs (unset: none)


class DelegationError(AssertionError):
    """The submitted function calls the reference (or a framework) instead of implementing."""


# ---------------------------------------------------------------------------------------------
# Delegation: static look at the code, and a tripwire on lib while the function runs.

def _root(name: str) -> str:
    return name.split(".")[0]


def _forbidden_use(value: Any) -> str | None:
    """What forbidden thing ``value`` is, or None."""
    if isinstance(value, types.ModuleType) and _root(value.__name__) in FORBIDDEN:
        return f"the module {value.__name__}"
    module = getattr(value, "__module__", None)
    if callable(value) and isinstance(module, str) and _root(module) in FORBIDDEN:
        return f"{module}.{getattr(value, '__qualname__', getattr(value, '__name__', '?'))}"
    return None


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _find_delegation(fn: Callable, seen: set[int]) -> str | None:
    fn = getattr(fn, "__func__", fn)  # bound methods
    if id(fn) in seen or not isinstance(fn, types.FunctionType):
        return None
    seen.add(id(fn))
    if _root(fn.__module__ or "") in FORBIDDEN:
        return f"it is {fn.__module__}.{fn.__qualname__} itself"
    for cell in fn.__closure__ or ():
        with contextlib.suppress(ValueError):  # an empty cell
            found = _forbidden_use(cell.cell_contents) or _find_delegation(cell.cell_contents, seen)
            if found:
                return found
    for code in _code_objects(fn.__code__):
        for ins in dis.get_instructions(code):
            if ins.opname == "IMPORT_NAME" and _root(str(ins.argval)) in FORBIDDEN:
                return f"it imports {ins.argval}"
        for name in code.co_names:
            if name not in fn.__globals__:
                continue  # a builtin, or the name of an attribute
            value = fn.__globals__[name]
            found = _forbidden_use(value)
            if found:
                return f"it uses {found} (through the name {name!r})"
            if isinstance(value, types.FunctionType) and value.__globals__ is fn.__globals__:
                found = _find_delegation(value, seen)  # a helper the student wrote
                if found:
                    return f"{found}, in the helper {value.__name__}"
    return None


def _sandboxed(fn: Any) -> bool:
    """``fn`` is the grader's proxy of a function that runs in the student's sandbox."""
    return getattr(fn, "__sandboxed__", False) is True


def assert_implemented(fn: Callable, task: str | None = None) -> None:
    """Fail with a ``DelegationError`` when ``fn`` delegates to lib, torch or another framework.

    A no-op for the grader's proxies (``__sandboxed__``): their function runs where neither lib
    nor torch can be imported.
    """
    if _sandboxed(fn):
        return
    if not callable(fn):
        raise AssertionError(f"expected a function, got {type(fn).__name__}: define it in the answer cell")
    found = _find_delegation(fn, set())
    if found:
        what = task or getattr(fn, "__name__", "this function")
        raise DelegationError(
            f"{what}: your function must be implemented with numpy, but {found}. "
            f"Calling the reference (lib) or a framework (torch, ...) scores 0 on this task."
        )


@contextlib.contextmanager
def _lib_tripwire(task: str) -> Iterator[None]:
    """While the student's code runs, every public function of lib raises a DelegationError."""
    patched = []

    def tripwire(module_name: str, name: str) -> Callable:
        def call(*args, **kwargs):
            raise DelegationError(
                f"{task}: your function called {module_name}.{name}; implement it with numpy "
                f"instead. Calling the reference scores 0 on this task."
            )
        return call

    # Every module is imported before any is patched: a module imported for the first time while
    # another is patched would keep the tripwire of what it imports by name (``from lib.activations
    # import softplus`` in lib.losses) after the tripwire is gone.
    # A name is patched wherever lib defines or re-exports it (lib.losses.mse is
    # lib.losses.regression.mse); the message names the module the student reached it through.
    modules = [(name, importlib.import_module(name)) for name in LIB_MODULES]
    for module_name, module in modules:
        for name, value in vars(module).items():
            if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) in LIB_MODULES:
                patched.append((module, name, value))
                setattr(module, name, tripwire(module_name, name))
    try:
        yield
    finally:
        for module, name, value in patched:
            setattr(module, name, value)


def _check_reference(reference: Callable) -> None:
    """The reference must be lib's own function, not something a submission put in its place."""
    module = str(getattr(reference, "__module__", ""))
    if not module.startswith("lib."):
        return  # a reference written in the test cell itself (nbgrader restores test cells)
    origin = getattr(importlib.import_module(module), reference.__name__, None)
    if origin is not reference:
        raise AssertionError(
            f"lib's {module}.{reference.__name__} was reassigned in this notebook, so the test "
            f"cannot trust it. Do not reassign lib's functions.")


# ---------------------------------------------------------------------------------------------
# Comparing a submission with the reference.

def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        with np.printoptions(precision=6, threshold=12, edgeitems=3, suppress=False):
            return f"{np.array2string(x, separator=', ')} (shape {x.shape}, {x.dtype})"
    return repr(x)


def _copy(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


def call_student(fn: Callable, *args, task: str, **kwargs) -> Any:
    """Call the student's function under the lib tripwire, after the delegation check.

    A grader's proxy (``__sandboxed__``) is simply called: its function runs in the sandbox.
    """
    if _sandboxed(fn):
        return fn(*args, **kwargs)
    assert_implemented(fn, task)
    with _lib_tripwire(task):
        return fn(*args, **kwargs)


def check_function(
    fn: Callable,
    reference: Callable,
    *args: Any,
    task: str | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    check_dtype: bool = True,
    **kwargs: Any,
) -> None:
    """``fn(*args, **kwargs)`` equals ``reference(*args, **kwargs)`` within tolerance.

    Checks, in order: no delegation; the call does not raise; inputs are not modified; then, as
    ``compare`` does, the kind of values (floats, integers), the result's shape, finiteness where
    the reference is finite, and the values. Each failure says which input, what was expected and
    what came back.
    """
    _check_reference(reference)
    task = task or getattr(fn, "__name__", "function")
    arg_names = ", ".join([_describe(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    expected = reference(*map(_copy, args), **kwargs)
    before = [_copy(a) for a in args]
    try:
        got = call_student(fn, *args, task=task, **kwargs)
    except DelegationError:
        raise
    except Exception as exc:
        raise AssertionError(f"{task}({arg_names}) raised {type(exc).__name__}: {exc}") from None
    for i, (a, b) in enumerate(zip(args, before)):
        if isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
            raise AssertionError(f"{task} modified its input argument {i + 1} in place; work on a copy")
    compare(got, expected, what=f"{task}({arg_names})", rtol=rtol, atol=atol, check_dtype=check_dtype)


# The kinds of values a result may hold (numpy's dtype.kind), named as a task's text names them.
_KINDS = {"f": "float", "i": "integer", "u": "integer", "b": "boolean"}


def _check_kind(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    """``got`` holds the kind of values ``expected`` holds: floats where the reference returns
    floats (a comparison's booleans or an integer array fail), integers where it returns integers."""
    want, have = _KINDS.get(expected.dtype.kind), _KINDS.get(got.dtype.kind)
    if want is None or want == have:
        return
    hint = ""
    if want == "float" and have == "boolean":
        hint = " (a comparison gives booleans: return 0.0 and 1.0, e.g. with np.where(cond, 1.0, 0.0))"
    elif want == "float":
        hint = " (compute in floats, e.g. np.asarray(x, dtype=float))"
    elif want == "integer":
        hint = " (convert with .astype(int))"
    raise AssertionError(
        f"{what}: expected {want} values (dtype {expected.dtype}), got dtype {got.dtype}{hint}: "
        f"{_describe(got)}")


def compare(got: Any, expected: Any, what: str, rtol: float = 1e-6, atol: float = 1e-9,
            check_dtype: bool = True) -> None:
    """``got`` equals ``expected`` (arrays, scalars, or tuples/lists/dicts of them).

    With ``check_dtype`` (the default), each value must also be of the reference's kind: floats
    where ``expected`` holds floats, integers where it holds integers (any width: int32 and
    int64 are both integers, float32 and float64 both floats).
    """
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise AssertionError(f"{what}: expected a dict with keys {sorted(expected)}, got {_describe(got)}")
        for key in expected:
            compare(got[key], expected[key], f"{what}[{key!r}]", rtol, atol, check_dtype)
        return
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise AssertionError(f"{what}: expected {len(expected)} values, got {_describe(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            compare(g, e, f"{what}[{i}]", rtol, atol, check_dtype)
        return
    expected = np.asarray(expected)
    try:
        got_raw = np.asarray(got)
        if got_raw.dtype.kind not in _KINDS:
            raise TypeError(got_raw.dtype)
        got_arr = got_raw.astype(np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{what}: expected numbers, got {_describe(got)}") from None
    if check_dtype:
        _check_kind(got_raw, expected, what)
    if got_arr.shape != expected.shape:
        raise AssertionError(
            f"{what}: expected a result of shape {expected.shape}, got shape {got_arr.shape}")
    bad_nonfinite = np.isfinite(expected) & ~np.isfinite(got_arr)
    if np.any(bad_nonfinite):
        idx = tuple(int(i) for i in np.argwhere(bad_nonfinite)[0])
        raise AssertionError(
            f"{what}: got {got_arr[idx]} at index {idx} where {expected[idx]} was expected "
            f"(overflow? use a numerically stable form)")
    if not np.allclose(got_arr, expected, rtol=rtol, atol=atol, equal_nan=True):
        diff = np.abs(got_arr - expected)
        diff = np.where(np.isnan(diff), np.inf, diff)
        idx = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
        raise AssertionError(
            f"{what}:\n  expected {_describe(expected)}\n  got      {_describe(got_arr)}\n"
            f"  largest difference {diff[idx]:.3g} at index {tuple(int(i) for i in idx)}")


def check_raises(fn: Callable, *args: Any, error: type[Exception] = ValueError,
                 task: str | None = None, **kwargs: Any) -> None:
    """``fn(*args, **kwargs)`` raises ``error`` (bad input must be refused, not computed)."""
    task = task or getattr(fn, "__name__", "function")
    try:
        call_student(fn, *args, task=task, **kwargs)
    except DelegationError:
        raise
    except error:
        return
    except Exception as exc:
        raise AssertionError(f"{task} should raise {error.__name__} for this input, "
                             f"but raised {type(exc).__name__}: {exc}") from None
    shown = ", ".join(_describe(a) for a in args)
    raise AssertionError(f"{task}({shown}) should raise {error.__name__}, but returned normally")


# ---------------------------------------------------------------------------------------------
# Hidden inputs.

def grading_seed(task: str) -> int:
    """A seed derived from the task's name only.

    Every student gets the same hidden inputs (the same code gets the same grade, whoever hands
    it in and wherever it is graded) and a regrade gives the same result. ``COURSE_GRADING_SEED``,
    when set in the environment of the process that runs the test cells, salts every seed (to
    change the hidden inputs from one term to the next); the grader does not set it.
    """
    salt = os.environ.get(SEED_ENV)
    key = f"{salt}/{task}" if salt else task
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")


def grading_rng(task: str) -> np.random.Generator:
    """The generator of hidden inputs for ``task`` (see ``grading_seed``)."""
    return np.random.default_rng(grading_seed(task))


def hidden_arrays(rng: np.random.Generator, n: int = 4, scale: float = 3.0,
                  extremes: Sequence[float] = (-1e4, -50.0, 0.0, 50.0, 1e4),
                  shapes: Sequence[tuple[int, ...]] | None = None) -> list[np.ndarray]:
    """``n`` random float64 arrays of varied shapes (values ~ N(0, scale²)), then one holding
    the ``extremes`` (skipped if ``extremes`` is empty)."""
    shapes = shapes or [(int(rng.integers(1, 8)),), (int(rng.integers(2, 5)), int(rng.integers(2, 6))),
                        (2, 3, int(rng.integers(1, 4))), ()]
    arrays = [rng.normal(0.0, scale, size=shapes[i % len(shapes)]) for i in range(n)]
    if len(extremes):
        arrays.append(np.asarray(extremes, dtype=np.float64))
    return arrays
