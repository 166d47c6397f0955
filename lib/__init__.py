"""The course's reference implementation, in numpy.

Modules, one per topic: ``activations``, ``losses`` (a package, one module per family of
losses), ``metrics`` (what a model is judged by), ``optim`` (a package: optimizers, schedulers,
mini-batches, clipping), ``network`` (the 2-2-1 network), ``mlp`` (networks of any depth, for the
depth experiments; both networks share ``fit``, ``predict``, ``predict_proba``, ``parameters``),
``layers`` (dropout and normalisation), ``gradcheck`` (finite differences), and ``testing`` (the
checks that the exercises' test cells call). ``__all__`` lists them, read from the package's
folder.

Naming, in every module: the prediction comes first and the target second, as in torch
(``mse(pred, target)``, ``cross_entropy(logits, labels)``), and an argument is named for what it
holds: ``pred`` a real-valued prediction, ``probs`` probabilities, ``logits`` raw scores before a
sigmoid or softmax, ``scores`` raw scores compared with a margin, ``log_probs`` log-probabilities;
``target`` a value of the prediction's kind (0/1 or soft labels, ±1 signs, one-hot rows),
``labels`` integer class indices (``lib.losses`` states its exceptions). Inputs are checked by the
helpers of ``lib._checks``, one rule for each kind of value.
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any

__all__ = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'lib' has no attribute {name!r}; its modules are {__all__}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
