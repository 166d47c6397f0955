"""Optimizers, learning-rate schedules and mini-batches, in numpy, step for step like ``torch.optim``.

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
  gradients are read, never modified.
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

import math
import numbers
from collections.abc import Iterator, Sequence

import numpy as np

from lib._checks import as_float_array, check_in_range, check_integer, check_nonnegative, check_positive

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "clip_grad_norm",
    "minibatches",
    "step_lr",
    "exponential_lr",
    "cosine_annealing_lr",
    "cosine_warm_restarts_lr",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
]


# --------------------------------------------------------------------------------------------
# small private checks
# --------------------------------------------------------------------------------------------
def _real(value, name: str) -> float:
    """``value`` as a Python float; ``TypeError`` unless it is a real number, ``ValueError`` if NaN/inf."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _nonnegative(value, name: str) -> float:
    value = _real(value, name)
    check_nonnegative(value, name)
    return value


def _positive_int(value, name: str, minimum: int = 1) -> int:
    value = check_integer(value, name)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_param(p, name: str) -> np.ndarray:
    if not isinstance(p, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array (the optimizer updates it in place), "
            f"got {type(p).__name__}"
        )
    if p.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name} must be a float32 or float64 array (the optimizer updates it in place), "
            f"got dtype {p.dtype}; convert it first, e.g. w = w.astype(np.float64)"
        )
    if not p.flags.writeable:
        raise TypeError(f"{name} must be a writable array (the optimizer updates it in place)")
    return p


def _check_params(params) -> list[np.ndarray]:
    if isinstance(params, np.ndarray):
        raise TypeError(
            "params must be a list of arrays, got a single array; write [w] instead of w"
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be a list of numpy arrays, got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError("params is empty: the optimizer got no arrays to update")
    params = [_check_param(p, f"params[{i}]") for i, p in enumerate(params)]
    for i, p in enumerate(params):
        for j in range(i):
            if np.shares_memory(p, params[j]):
                raise ValueError(
                    f"params[{j}] and params[{i}] share memory: each array may be given once "
                    f"(it would be updated twice per step)"
                )
    return params


# --------------------------------------------------------------------------------------------
# optimizers
# --------------------------------------------------------------------------------------------
class Optimizer:
    """Base class: holds the parameters, the learning rate, the per-parameter state, the step count.

    A subclass sets its options in ``__init__`` (names listed in ``_options`` for ``repr``) and
    implements ``_update(param, grad, state)``, which changes ``param`` in place. ``step`` checks
    the gradients, increments ``step_count`` and calls ``_update`` once per parameter.

    Args:
        params: list of float32/float64 writable numpy arrays, kept by reference.
        lr: learning rate, >= 0; the attribute ``lr`` can be reassigned between steps.
        maximize: ascend instead of descend (the gradient is negated first, as in torch).
    """

    _options: tuple[str, ...] = ()

    def __init__(self, params: Sequence[np.ndarray], lr: float, *, maximize: bool = False) -> None:
        self.params = _check_params(params)
        self.lr = lr
        self.maximize = bool(maximize)
        self.state: list[dict] = [{} for _ in self.params]
        self.step_count = 0

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step``."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _nonnegative(value, "lr")

    def step(self, grads: Sequence) -> None:
        """Apply one update to every parameter, in place, with the gradients ``grads``.

        ``grads[i]`` is the gradient of the loss with respect to ``params[i]`` (same shape; it is
        cast to the parameter's dtype). The arrays in ``grads`` are not modified.
        """
        grads = self._check_grads(grads)
        self.step_count += 1
        for param, grad, state in zip(self.params, grads, self.state):
            self._update(param, grad, state)

    def _check_grads(self, grads) -> list[np.ndarray]:
        if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
            raise TypeError(
                f"grads must be a list or tuple of arrays, one per parameter; "
                f"got {type(grads).__name__}"
                + (" (write [g] for a single parameter)" if isinstance(grads, np.ndarray) else "")
            )
        if len(grads) != len(self.params):
            raise ValueError(
                f"expected {len(self.params)} gradients (one per parameter, in the same order), "
                f"got {len(grads)}"
            )
        checked = []
        for i, (g, p) in enumerate(zip(grads, self.params)):
            g = as_float_array(g, f"grads[{i}]")
            if g.shape != p.shape:
                raise ValueError(
                    f"grads[{i}] has shape {g.shape} but params[{i}] has shape {p.shape}; "
                    f"each gradient must have its parameter's shape"
                )
            checked.append(g.astype(p.dtype, copy=False))
        return checked

    def _direction(self, param: np.ndarray, grad: np.ndarray, weight_decay: float) -> np.ndarray:
        """``g = (-grad if maximize else grad) + weight_decay * param`` (a new array if changed)."""
        g = -grad if self.maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * param
        return g

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        options = ", ".join(f"{name}={getattr(self, name)!r}" for name in ("lr", *self._options))
        return f"{type(self).__name__}({options})"


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional momentum, as ``torch.optim.SGD``.

    For each parameter ``theta`` with gradient ``grad`` at step ``t`` (``mu`` = momentum,
    ``tau`` = dampening, ``lambda`` = weight_decay, ``gamma`` = lr)::

        g   = (-grad if maximize else grad) + lambda * theta
        b_1 = g                                   (first step: the buffer is g, not (1 - tau) g)
        b_t = mu * b_{t-1} + (1 - tau) * g        (t > 1)
        d   = g + mu * b_t  if nesterov  else  b_t      (d = g when mu = 0)
        theta <- theta - gamma * d

    The buffer holds no learning rate, so a schedule that changes ``lr`` rescales the whole step.
    ``state[i]["momentum_buffer"]`` is ``b_t`` (``None`` before the first step; absent when
    ``momentum == 0``).

    Defaults (torch 2.13): ``lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
    maximize=False``. Nesterov needs ``momentum > 0`` and ``dampening == 0`` (``ValueError``,
    torch's message).
    """

    _options = ("momentum", "dampening", "weight_decay", "nesterov", "maximize")

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize=maximize)
        self.momentum = _nonnegative(momentum, "momentum")
        self.dampening = _real(dampening, "dampening")
        check_in_range(self.dampening, "dampening", 0, 1)
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={self.momentum}, dampening={self.dampening})"
            )
        if self.momentum != 0:
            for state in self.state:
                state["momentum_buffer"] = None

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        g = self._direction(param, grad, self.weight_decay)
        if self.momentum != 0:
            buf = state["momentum_buffer"]
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
        param -= self.lr * g


class Adagrad(Optimizer):
    r"""Adagrad: per-coordinate steps shrinking with the accumulated squared gradient, as ``torch.optim.Adagrad``.

    For each parameter at step ``t = 1, 2, ...`` (``gamma`` = lr, ``eta`` = lr_decay,
    ``lambda`` = weight_decay, ``s_0`` = initial_accumulator_value, all products elementwise)::

        g       = (-grad if maximize else grad) + lambda * theta
        gamma_t = gamma / (1 + (t - 1) * eta)
        s_t     = s_{t-1} + g * g
        theta  <- theta - gamma_t * g / (sqrt(s_t) + eps)

    ``eps`` keeps the division finite while ``s_t`` is 0 (it is added to the square root, as in
    torch). ``state[i]["sum"]`` is ``s_t``.

    Defaults (torch 2.13): ``lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10, maximize=False``.
    """

    _options = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize")

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize=maximize)
        self.lr_decay = _nonnegative(lr_decay, "lr_decay")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.initial_accumulator_value = _nonnegative(
            initial_accumulator_value, "initial_accumulator_value"
        )
        self.eps = _nonnegative(eps, "eps")
        for p, state in zip(self.params, self.state):
            state["sum"] = np.full_like(p, self.initial_accumulator_value)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        g = self._direction(param, grad, self.weight_decay)
        clr = self.lr / (1 + (self.step_count - 1) * self.lr_decay)
        s = state["sum"]
        s += g * g
        param -= clr * (g / (np.sqrt(s) + self.eps))


class RMSprop(Optimizer):
    r"""RMSprop: steps divided by a running root-mean-square of the gradient, as ``torch.optim.RMSprop``.

    For each parameter (``alpha`` = smoothing constant, ``mu`` = momentum, ``lambda`` =
    weight_decay, ``gamma`` = lr; buffers start at 0; products elementwise)::

        g     = (-grad if maximize else grad) + lambda * theta
        v_t   = alpha * v_{t-1} + (1 - alpha) * g * g              (state "square_avg")
        if centered:                                               (subtract the mean's square)
            m_t = alpha * m_{t-1} + (1 - alpha) * g                (state "grad_avg")
            r   = sqrt(max(v_t - m_t * m_t, 0)) + eps
        else:
            r   = sqrt(v_t) + eps
        if mu > 0:
            b_t = mu * b_{t-1} + g / r ;  theta <- theta - gamma * b_t   (state "momentum_buffer")
        else:
            theta <- theta - gamma * g / r

    There is no bias correction: the first steps are large (``|g| / sqrt(1 - alpha)`` at step 1).
    ``v_t - m_t^2 >= 0`` in exact arithmetic; the ``max(., 0)`` only removes a rounding-level
    negative value (torch would return NaN there).

    Defaults (torch 2.13): ``lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
    centered=False, maximize=False``. ``alpha`` must lie in [0, 1].
    """

    _options = ("alpha", "eps", "weight_decay", "momentum", "centered", "maximize")

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize=maximize)
        self.alpha = _real(alpha, "alpha")
        check_in_range(self.alpha, "alpha", 0, 1)
        self.eps = _nonnegative(eps, "eps")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.momentum = _nonnegative(momentum, "momentum")
        self.centered = bool(centered)
        for p, state in zip(self.params, self.state):
            state["square_avg"] = np.zeros_like(p)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        g = self._direction(param, grad, self.weight_decay)
        v = state["square_avg"]
        v *= self.alpha
        v += (1 - self.alpha) * (g * g)
        if self.centered:
            m = state["grad_avg"]
            m += (1 - self.alpha) * (g - m)
            r = np.sqrt(np.maximum(v - m * m, 0))
        else:
            r = np.sqrt(v)
        r += self.eps
        if self.momentum > 0:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / r
            param -= self.lr * buf
        else:
            param -= self.lr * (g / r)


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, divided by a running RMS, both bias-corrected, as ``torch.optim.Adam``.

    For each parameter at step ``t = 1, 2, ...`` (``gamma`` = lr, ``lambda`` = weight_decay;
    ``m_0 = v_0 = 0``; products elementwise)::

        g     = (-grad if maximize else grad) + lambda * theta    (L2 penalty in the gradient)
        m_t   = beta1 * m_{t-1} + (1 - beta1) * g                 (state "exp_avg")
        v_t   = beta2 * v_{t-1} + (1 - beta2) * g * g             (state "exp_avg_sq")
        if amsgrad: vhat_t = max(vhat_{t-1}, v_t), used below instead of v_t ("max_exp_avg_sq")
        theta <- theta - (gamma / (1 - beta1**t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2**t) + eps)

    The last line is torch's arithmetic for the bias-corrected estimates
    ``m_t / (1 - beta1**t)`` and ``v_t / (1 - beta2**t)``. The zero start biases m and v toward
    0 in the first steps, v far more than m: uncorrected, the first step would be
    ``(1 - beta1) / sqrt(1 - beta2)`` times ``gamma`` (about 3.16 with the default betas), too
    large. ``eps`` is added after the square root and the
    correction (so it is the ``eps`` of ``m_hat / (sqrt(v_hat) + eps)``). The step count ``t`` is
    ``step_count``.

    With ``decoupled_weight_decay=True`` (what :class:`AdamW` sets) the penalty is instead applied
    to the parameter before the Adam step: ``theta <- theta * (1 - gamma * lambda)``.

    Defaults (torch 2.13): ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
    amsgrad=False, maximize=False``; each beta in [0, 1).
    """

    _options = ("betas", "eps", "weight_decay", "amsgrad", "maximize")

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, lr, maximize=maximize)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(_real(b, f"betas[{i}]") for i, b in enumerate(betas))
        for i, b in enumerate(self.betas):
            check_in_range(b, f"betas[{i}]", 0, 1, high_open=True)
        self.eps = _nonnegative(eps, "eps")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.amsgrad = bool(amsgrad)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)
        for p, state in zip(self.params, self.state):
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        beta1, beta2 = self.betas
        t = self.step_count
        if self.decoupled_weight_decay:
            if self.weight_decay != 0:
                param *= 1 - self.lr * self.weight_decay
            g = self._direction(param, grad, 0.0)
        else:
            g = self._direction(param, grad, self.weight_decay)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * (g * g)
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = self.lr / (1 - beta1**t)
        denom = np.sqrt(v) / (1 - beta2**t) ** 0.5 + self.eps
        param -= step_size * (m / denom)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    Each step first shrinks the parameter, then takes the plain Adam step of :class:`Adam`
    (whose formulas and state names apply) with the gradient *without* a penalty term::

        theta <- theta * (1 - gamma * lambda)
        theta <- theta - (gamma / (1 - beta1**t)) * m_t / (sqrt(v_t) / sqrt(1 - beta2**t) + eps)

    so the decay does not pass through ``m`` and ``v`` (in Adam's L2 form a large ``v`` would
    shrink it). Note the decay is scaled by ``lr``, as in torch (and unlike the paper's separate
    schedule multiplier).

    Defaults (torch 2.13): ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
    amsgrad=False, maximize=False``.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad,
            maximize=maximize, decoupled_weight_decay=True,
        )


# --------------------------------------------------------------------------------------------
# gradient clipping
# --------------------------------------------------------------------------------------------
def clip_grad_norm(grads, max_norm: float) -> tuple[list[np.ndarray], float]:
    """Rescale a list of gradients so that their total 2-norm is at most ``max_norm``.

    Returns ``(clipped, total_norm)``: **new arrays** (``grads`` is left unchanged, as every
    gradient in this module) and the total norm *before* clipping, a Python float::

        total = sqrt(sum over every array g of sum(g ** 2))       (one norm over all the arrays)
        clipped = [g * min(1, max_norm / (total + 1e-6)) for g in grads]

    These are the numbers of ``torch.nn.utils.clip_grad_norm_(params, max_norm)`` (2-norm), which
    scales ``p.grad`` in place and returns the same total. The factor keeps the direction of the
    whole gradient and only shortens it; the ``1e-6`` (torch's) guards against dividing by 0, and
    because of it a total within 1e-6 below ``max_norm`` is also scaled, very slightly, as in torch.
    Use it between the backward pass and the step::

        clipped, total = clip_grad_norm(net.flatten(grads), max_norm=1.0)
        optimizer.step(clipped)

    ``grads`` is a list of float arrays (float32 stays float32); ``max_norm`` > 0. Unlike torch's
    default, non-finite gradients raise a ``ValueError`` (torch's ``error_if_nonfinite=True``):
    rescaling cannot repair an ``inf`` or ``nan``.
    """
    if isinstance(grads, np.ndarray):
        raise TypeError("grads must be a list of arrays, got a single array; write [g] instead of g")
    try:
        grads = list(grads)
    except TypeError:
        raise TypeError(f"grads must be a list of numpy arrays, got {type(grads).__name__}") from None
    if not grads:
        raise ValueError("grads is empty: there is no gradient to clip")
    max_norm = _real(max_norm, "max_norm")
    check_positive(max_norm, "max_norm")
    arrays = [as_float_array(g, f"grads[{i}]") for i, g in enumerate(grads)]
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays))
    if not math.isfinite(total):
        raise ValueError(
            f"the total gradient norm is {total}: the gradients hold NaN or infinity, which "
            f"clipping cannot repair (lower the learning rate, or clip earlier)"
        )
    coef = min(1.0, max_norm / (total + 1e-6))
    return [(g * coef).astype(g.dtype, copy=False) for g in arrays], total


# --------------------------------------------------------------------------------------------
# mini-batches
# --------------------------------------------------------------------------------------------
def minibatches(
    X,
    Y,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of mini-batches ``(X_batch, Y_batch)``, like iterating a torch ``DataLoader``.

    Samples are the rows (first axis) of ``X`` (shape ``(N, ...)``) and ``Y`` (shape ``(N, ...)``,
    e.g. targets or integer labels; dtypes are kept). With ``shuffle=True`` the order is a random
    permutation drawn from ``rng`` (a ``np.random.Generator``, used and advanced, so successive
    epochs get new orders; an int seed, reproducible; ``None``, fresh entropy). Batches hold
    ``batch_size`` samples, the last one ``N mod batch_size`` unless ``drop_last=True`` drops it;
    every sample appears at most once (exactly once without ``drop_last``). Batches are copies.

    The arguments are checked when ``minibatches`` is called, not at the first ``next()``.
    """
    X, Y = np.asarray(X), np.asarray(Y)
    for name, a in (("X", X), ("Y", Y)):
        if a.ndim == 0:
            raise ValueError(f"{name} must have a first axis of samples, got a scalar")
    if len(X) != len(Y):
        raise ValueError(
            f"X and Y must hold the same number of samples (first axis): got X of shape "
            f"{X.shape} and Y of shape {Y.shape}"
        )
    if len(X) == 0:
        raise ValueError("X and Y hold no samples")
    batch_size = _positive_int(batch_size, "batch_size")
    if rng is None or isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        rng = np.random.default_rng(rng)
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a np.random.Generator, an int seed or None, got {type(rng).__name__}"
        )
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    stop = len(X) - len(X) % batch_size if drop_last else len(X)
    return _batches(X, Y, order, batch_size, stop)


def _batches(X, Y, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], Y[idx]


# --------------------------------------------------------------------------------------------
# learning-rate schedules: pure functions of the epoch
# --------------------------------------------------------------------------------------------
def _epochs(epoch) -> np.ndarray:
    e = np.asarray(epoch)
    if e.dtype == bool or not (np.issubdtype(e.dtype, np.integer) or np.issubdtype(e.dtype, np.floating)):
        raise TypeError(f"epoch must be a number or an array of numbers, got dtype {e.dtype}")
    e = e.astype(np.float64)
    if not np.all(np.isfinite(e) & (e >= 0)):
        raise ValueError(f"epoch must be finite and >= 0, got {epoch!r}")
    return e


def _out(lr: np.ndarray):
    return float(lr) if lr.ndim == 0 else lr


def step_lr(epoch, lr0: float, step_size: int, gamma: float = 0.1):
    """Step decay, ``torch.optim.lr_scheduler.StepLR``: ``lr_t = lr0 * gamma ** floor(t / step_size)``.

    ``epoch`` ``t >= 0``: a number (returns a float) or an array (returns an array, for plots).
    ``step_size`` is a positive int, ``gamma > 0``.
    """
    e = _epochs(epoch)
    lr0 = _nonnegative(lr0, "lr0")
    step_size = _positive_int(step_size, "step_size")
    gamma = _real(gamma, "gamma")
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma ** np.floor_divide(e, step_size))


def exponential_lr(epoch, lr0: float, gamma: float):
    """Exponential decay, ``torch.optim.lr_scheduler.ExponentialLR``: ``lr_t = lr0 * gamma ** t``.

    ``epoch`` ``t >= 0``: a number (returns a float) or an array. ``gamma > 0``.
    """
    e = _epochs(epoch)
    lr0 = _nonnegative(lr0, "lr0")
    gamma = _real(gamma, "gamma")
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma**e)


def _cosine(t_cur, T_i, lr0: float, eta_min: float) -> np.ndarray:
    """``eta_min + (lr0 - eta_min) * (1 + cos(pi * t_cur / T_i)) / 2``, torch's arithmetic order."""
    return eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * t_cur / T_i)) / 2


def cosine_annealing_lr(epoch, lr0: float, T_max: int, eta_min: float = 0.0):
    """Cosine annealing, ``torch.optim.lr_scheduler.CosineAnnealingLR``.

    ``lr_t = eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``: from ``lr0`` at
    ``t = 0`` down to ``eta_min`` at ``t = T_max``. Past ``T_max`` the cosine goes on (back up
    to ``lr0`` at ``2 T_max``), which is what torch's scheduler does too; no restarts.
    torch updates it recursively from the current rate; this closed form is its exact value.
    ``epoch`` ``t >= 0``: a number (returns a float) or an array. ``T_max`` a positive int.
    """
    e = _epochs(epoch)
    lr0 = _nonnegative(lr0, "lr0")
    T_max = _positive_int(T_max, "T_max")
    eta_min = _nonnegative(eta_min, "eta_min")
    return _out(_cosine(e, T_max, lr0, eta_min))


def cosine_warm_restarts_lr(epoch, lr0: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0):
    """SGDR cosine annealing with warm restarts, ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``.

    Cycle ``i = 0, 1, ...`` lasts ``T_i = T_0 * T_mult**i`` epochs and starts at epoch
    ``S_i = T_0 * (T_mult**i - 1) / (T_mult - 1)`` (``S_i = i * T_0`` when ``T_mult = 1``). For
    ``S_i <= t < S_{i+1}``, with ``T_cur = t - S_i``::

        lr_t = eta_min + (lr0 - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    so the rate jumps back to ``lr0`` at each restart. ``epoch`` ``t >= 0`` may be fractional
    (per-batch plots) and a number (returns a float) or an array. ``T_0`` a positive int,
    ``T_mult`` an int >= 1. The cycle index is found exactly (a float logarithm corrected by
    integer comparisons), so restarts fall on the right epoch.
    """
    e = _epochs(epoch)
    lr0 = _nonnegative(lr0, "lr0")
    T_0 = _positive_int(T_0, "T_0")
    T_mult = _positive_int(T_mult, "T_mult")
    eta_min = _nonnegative(eta_min, "eta_min")
    if T_mult == 1:
        t_cur, T_i = np.mod(e, T_0), T_0
    else:
        def start(i):  # first epoch of cycle i
            return T_0 * (float(T_mult) ** i - 1) / (T_mult - 1)

        i = np.floor(np.log1p(e / T_0 * (T_mult - 1)) / math.log(T_mult))
        i -= start(i) > e
        i += start(i + 1) <= e
        t_cur, T_i = e - start(i), T_0 * float(T_mult) ** i
    return _out(_cosine(t_cur, T_i, lr0, eta_min))


# --------------------------------------------------------------------------------------------
# learning-rate schedules: objects that set optimizer.lr, like torch.optim.lr_scheduler
# --------------------------------------------------------------------------------------------
class LRScheduler:
    """Base class: sets ``optimizer.lr`` to ``lr_at(epoch)`` at construction (epoch 0) and at each ``step()``.

    As in torch: the initial learning rate (``base_lr``) is the optimizer's ``lr`` when the
    scheduler is made; call ``scheduler.step()`` once per epoch *after* the epoch's optimizer
    steps; ``get_last_lr()`` returns ``[lr]`` (a one-element list: torch has one entry per
    parameter group, here there is one group); ``last_epoch`` counts the ``step()`` calls.
    Subclasses implement ``lr_at(epoch)`` with one of the pure functions of this module.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"optimizer must be a lib.optim.Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._apply()

    def lr_at(self, epoch):
        """The learning rate of ``epoch`` (a number or an array of them)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to that epoch's learning rate."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """``[lr]``, the learning rate set by the last ``step()`` (or the constructor)."""
        return [self._last_lr]

    def _apply(self) -> None:
        self._last_lr = self.lr_at(self.last_epoch)
        self.optimizer.lr = self._last_lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr!r}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``, as ``torch.optim.lr_scheduler.StepLR`` (see :func:`step_lr`)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return step_lr(epoch, self.base_lr, self.step_size, self.gamma)


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``, as ``torch.optim.lr_scheduler.ExponentialLR`` (see :func:`exponential_lr`)."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = gamma
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return exponential_lr(epoch, self.base_lr, self.gamma)


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2``, as ``torch.optim.lr_scheduler.CosineAnnealingLR``.

    See :func:`cosine_annealing_lr`; torch's recursive update gives the same numbers.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return cosine_annealing_lr(epoch, self.base_lr, self.T_max, self.eta_min)


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every ``T_i = T_0 * T_mult**i`` epochs, as ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``.

    See :func:`cosine_warm_restarts_lr` for the formula.
    """

    def __init__(
        self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0
    ) -> None:
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return cosine_warm_restarts_lr(epoch, self.base_lr, self.T_0, self.T_mult, self.eta_min)
