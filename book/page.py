"""What every page of the book uses: its plot style, its glued numbers, lib's source shown.

A page starts with ::

    from book.page import setup, glue_num, show
    setup()                 # or setup(sig=6), setup(finest=-12): how precisely the page states numbers

Numbers reach the prose through myst-nb's ``glue`` (the page's markdown says
``{glue:text}`name:.4f```): they are computed when the book is built, never typed. A glued number
is rounded to the page's significant digits first, so that its last bits, which differ between
machines and BLAS builds, never reach the text. A difference at the level of rounding (lib against
torch, an identity checked numerically) is stated by its order of magnitude only, in one of three
phrasings chosen by the sentence around it: ``under`` ("< 1e-15"), ``less_than`` ("less than
1e-15") and ``within`` ("to within 1e-15").

The book executes each page with its own kernel, so ``setup``'s settings are the page's own.
(This module lives beside the pages and is not part of ``lib``: it needs matplotlib, myst-nb and
IPython; lib is numpy only.)
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Code
from myst_nb import glue

STYLE = Path(__file__).with_name("course.mplstyle")
ROUNDED_DIGITS = 8

# The page's settings (see setup): significant digits of a glued number (None: unrounded) and the
# finest power of ten a gap is stated with (None: any).
_page: dict[str, Any] = {"sig": ROUNDED_DIGITS, "finest": None}


def setup(*, sig: int | None = ROUNDED_DIGITS, finest: int | None = None) -> None:
    """The course's plot style (``book/course.mplstyle``) and how precisely this page states numbers.

    Args:
        sig: significant digits a glued number keeps (``None``: the float as computed, for a page
            whose markdown always gives a format).
        finest: the finest power of ten ``within`` names: with ``-12`` any gap below ``1e-12``,
            0 included, reads "to within 1e-12", a statement no machine's rounding can change.
    """
    if sig is not None and (isinstance(sig, bool) or not isinstance(sig, int) or sig < 1):
        raise ValueError(f"sig must be a positive number of digits or None; got {sig!r}")
    plt.style.use(STYLE)
    _page.update(sig=sig, finest=finest)


# numbers -------------------------------------------------------------------------------------
def rounded(value: Any, sig: int | None = None) -> float:
    """``value`` as a float with ``sig`` significant digits (the page's when not given)."""
    sig = _page["sig"] if sig is None else sig
    return float(value) if sig is None else float(f"{float(value):.{sig}g}")


def glue_num(name: str, value: Any, sig: int | None = None) -> None:
    """Glue ``value`` for the prose as ``name``, rounded to ``sig`` (default: the page's) digits."""
    glue(name, rounded(value, sig), display=False)


def power_above(x: Any) -> float:
    """The power of ten just above ``|x|``, ``10 ** (floor(log10 |x|) + 1)``; 0 for 0."""
    x = abs(float(x))
    return 0.0 if x == 0 else float(10.0 ** (np.floor(np.log10(x)) + 1))


def under(x: Any) -> str:
    """A rounding-level difference as a symbol: "0" or "< 1e-15"."""
    return "0" if x == 0 else f"< {power_above(x):.0e}"


def less_than(x: Any) -> str:
    """A rounding-level difference in words: "exactly 0" or "less than 1e-15"."""
    return "exactly 0" if x == 0 else f"less than {power_above(x):.0e}"


def within(x: Any) -> str:
    """How closely two results agree: "exactly" or "to within 1eK", ``1eK`` the power of ten at or
    above the gap; never finer than the page's ``finest`` (then never "exactly")."""
    x, finest = abs(float(x)), _page["finest"]
    if finest is None:
        return "exactly" if x == 0 else f"to within 1e{int(np.ceil(np.log10(x)))}"
    return f"to within 1e{max(finest, int(np.ceil(np.log10(x)))) if x else finest}"


def glue_within(name: str, gap: Any) -> None:
    """Glue how closely two results agree, as ``within`` phrases it."""
    glue(name, within(gap), display=False)


# lib's source ------------------------------------------------------------------------------
def show(*objects: Any, helpers: bool = False) -> Code:
    """The source of lib's public functions, classes or methods, one after the other.

    With ``helpers=True`` each object comes after the private functions of its own module it
    computes with (called by name, or as ``self._name`` in a method), found by reading its code,
    transitively; argument checks and conversions are left out (a helper that raises, or is named
    ``_check*``, ``_prepare``, ``_finish`` or ``_as_*``). So a page shows ``softmax`` with its
    shift of the logits by public name, and lib stays free to name its helpers as it likes.
    """
    shown: dict[Any, None] = {}  # functions and classes hash by identity: an ordered set
    for obj in objects:
        name = getattr(obj, "__name__", repr(obj))
        if name.startswith("_") and not name.startswith("__"):
            raise ValueError(f"show {name!r} by a public name (the function that uses it, with "
                             "helpers=True): a page shows lib's interface, not its private names")
        shown.update(dict.fromkeys([*(_private_callees(obj) if helpers else []), obj]))
    return Code("\n\n".join(textwrap.dedent(inspect.getsource(o)) for o in shown), language="python")


def _is_plumbing(function: Any) -> bool:
    """An argument check or conversion: named so, or raising an error."""
    if function.__name__.startswith(("_check", "_prepare", "_finish", "_as_")):
        return True
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return any(isinstance(node, ast.Raise) for node in ast.walk(tree))


def _private_callees(obj: Any, seen: tuple = ()) -> list[Any]:
    """The private functions/methods ``obj`` calls, deepest first (each before its caller)."""
    module = inspect.getmodule(obj)
    owner = _owner_class(obj)
    tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    found: list[Any] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = None
        if isinstance(node.func, ast.Name) and node.func.id.startswith("_"):
            target = getattr(module, node.func.id, None)
        elif (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
              and node.func.value.id == "self" and node.func.attr.startswith("_") and owner):
            target = getattr(owner, node.func.attr, None)
        if (callable(target) and inspect.getmodule(target) is module
                and not target.__name__.startswith("__") and not _is_plumbing(target)
                and target not in (*seen, obj)):
            found += [*_private_callees(target, seen + (obj,)), target]
    return list(dict.fromkeys(found))


def _owner_class(obj: Any) -> type | None:
    """The class a method was defined in (``TwoLayerNet`` for ``TwoLayerNet.forward``)."""
    qualname = getattr(obj, "__qualname__", "")
    if "." not in qualname:
        return None
    owner: Any = inspect.getmodule(obj)
    for part in qualname.split(".")[:-1]:
        owner = getattr(owner, part, None)
    return owner if isinstance(owner, type) else None
