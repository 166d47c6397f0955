"""Optimizers, learning-rate schedules and mini-batches, in numpy, step for step like
``torch.optim``.

One module per topic: ``optimizers``, ``schedulers``, ``minibatches``, ``clipping``. Every public
name of each is also a name of this package (``lib.optim.Adam`` is ``lib.optim.optimizers.Adam``),
found by walking the package.

Conventions
-----------
* **Same rules, names and defaults as torch 2.13** (``torch/optim/sgd.py``, ``adagrad.py``,
  ``rmsprop.py``, ``adam.py``, ``adamw.py``, ``lr_scheduler.py``): given the same gradients, a
  trajectory of :class:`SGD`, :class:`Adagrad`, :class:`RMSprop`, :class:`Adam` or :class:`AdamW`
  equals torch's to rounding (the tests check 50 steps to 1e-10 in float64). In particular the
  learning rate multiplies the *whole* step, outside any buffer, as in torch; the notes' momentum
  form ``v <- beta v + eta g, theta <- theta - v`` is the same trajectory while the learning rate
  is constant (their ``v`` is ``eta`` times torch's buffer) and differs once a schedule changes it.
* **Parameters are updated in place.** An optimizer keeps references to the numpy arrays it is
  given (float32 or float64, writable) and every step writes into them (``w -= ...``), so a model
  holding the same arrays sees the new values. State is kept in the parameter's dtype: float32
  parameters stay float32.
* **Gradients are passed to** ``step``: ``opt.step([g1, g2])`` with one gradient per parameter, in
  the same order and of the same shape (there is no autograd here, so no ``.grad`` attribute). The
  gradients are read, never modified. ``step`` applies the optimizer's rule for one parameter,
  ``opt.update(param, grad, state)``, to each parameter in turn: that method is each
  optimizer's update rule in code, and the one a new optimizer (a subclass of :class:`Optimizer`)
  implements.
* ``opt.state[i]`` is a dict holding parameter ``i``'s buffers under torch's names
  (``momentum_buffer``, ``sum``, ``square_avg``, ``grad_avg``, ``exp_avg``, ``exp_avg_sq``,
  ``max_exp_avg_sq``); ``opt.step_count`` is the number of steps taken (torch's ``state["step"]``).
* ``opt.lr`` may be changed between steps (that is what a schedule does). The schedules here
  compute the learning rate of epoch ``t`` in closed form from the initial one (the pure functions
  :func:`step_lr`, :func:`exponential_lr`, :func:`cosine_annealing_lr`,
  :func:`cosine_warm_restarts_lr`, which the book can plot); torch updates some of them
  recursively from the current rate, and the two agree to ~1e-15. One difference: if you set
  ``opt.lr`` by hand while a schedule runs, torch's recursive schedules build on your value, ours
  overwrite it at the next ``scheduler.step()``.
"""
from __future__ import annotations

import importlib
import pkgutil

#: The topic modules, in the package's folder (private modules, starting with ``_``, left out).
TOPICS = tuple(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))

__all__: list[str] = []
for _topic in TOPICS:
    _module = importlib.import_module(f"{__name__}.{_topic}")
    __all__ += _module.__all__
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})
del _topic, _module
