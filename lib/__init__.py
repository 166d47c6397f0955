"""The course's reference implementation, in numpy.

Modules, one per topic: ``activations``, ``losses``, ``metrics`` (what a model is judged by),
``optim``, ``network`` (the 2-2-1 network), ``mlp`` (networks of any depth, for the depth
experiments), ``layers`` (dropout and normalisation), ``gradcheck`` (finite differences), and ``testing`` (the checks that the exercises'
test cells call).

``import lib`` is enough: each module is imported the first time it is used
(``lib.activations.sigmoid(...)``), so a notebook pays only for what it touches.
"""
from __future__ import annotations

import importlib
from typing import Any

__all__ = ["activations", "losses", "metrics", "optim", "network", "mlp", "layers", "gradcheck", "testing"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'lib' has no attribute {name!r}; its modules are {__all__}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
