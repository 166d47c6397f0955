"""Optimizers: SGD (momentum, Nesterov), Adagrad, RMSprop, Adam, AdamW, step for step like
``torch.optim``.

The conventions are stated once, in ``lib.optim``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lib._checks import as_flag, as_float_array, as_nonnegative, as_real, check_in_range

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


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
    implements its rule in ``update(param, grad, state)``, which changes one parameter in place.
    ``step`` checks the gradients, increments ``step_count`` and calls ``update`` once per
    parameter, in order.

    Args:
        params: list of float32/float64 writable numpy arrays, kept by reference.
        lr: learning rate, >= 0; the attribute ``lr`` can be reassigned between steps.
        maximize: ascend instead of descend (the gradient is negated first, as in torch).
    """

    _options: tuple[str, ...] = ()

    def __init__(self, params: Sequence[np.ndarray], lr: float, *, maximize: bool = False) -> None:
        self.params = _check_params(params)
        self.lr = lr
        self._set_options(as_flag, maximize=maximize)
        self.state: list[dict] = [{} for _ in self.params]
        self.step_count = 0

    def _set_options(self, check: Callable[[Any, str], Any], **values: Any) -> None:
        """``self.<name> = check(value, "<name>")`` for each option (``as_nonnegative``, ``as_flag``)."""
        for name, value in values.items():
            setattr(self, name, check(value, name))

    @property
    def lr(self) -> float:
        """The learning rate used by the next ``step``."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = as_nonnegative(value, "lr")

    def step(self, grads: Sequence) -> None:
        """Apply one update to every parameter, in place, with the gradients ``grads``.

        ``grads[i]`` is the gradient of the loss with respect to ``params[i]`` (same shape; it is
        cast to the parameter's dtype). The arrays in ``grads`` are not modified.
        """
        grads = self._check_grads(grads)
        self.step_count += 1
        for param, grad, state in zip(self.params, grads, self.state):
            self.update(param, grad, state)

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

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
        """The optimizer's rule for one parameter, called by ``step``: change ``param`` in place.

        ``grad`` is its gradient (checked, in the parameter's dtype; not to be modified),
        ``state`` its dict of buffers (``self.state[i]``, updated in place), and ``step_count``
        already counts this step (1 at the first). Each subclass implements it; its docstring
        gives the formulas.
        """
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

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, maximize=maximize)
        self.momentum = as_nonnegative(momentum, "momentum")
        self.dampening = as_real(dampening, "dampening")
        check_in_range(self.dampening, "dampening", 0, 1)
        self.weight_decay = as_nonnegative(weight_decay, "weight_decay")
        self._set_options(as_flag, nesterov=nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={self.momentum}, dampening={self.dampening})"
            )
        if self.momentum != 0:
            for state in self.state:
                state["momentum_buffer"] = None

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
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

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 *, maximize: bool = False) -> None:
        super().__init__(params, lr, maximize=maximize)
        self._set_options(as_nonnegative, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        for p, state in zip(self.params, self.state):
            state["sum"] = np.full_like(p, self.initial_accumulator_value)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
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

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, *, maximize: bool = False) -> None:
        super().__init__(params, lr, maximize=maximize)
        self.alpha = as_real(alpha, "alpha")
        check_in_range(self.alpha, "alpha", 0, 1)
        self._set_options(as_nonnegative, eps=eps, weight_decay=weight_decay, momentum=momentum)
        self._set_options(as_flag, centered=centered)
        for p, state in zip(self.params, self.state):
            state["square_avg"] = np.zeros_like(p)
            if self.momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if self.centered:
                state["grad_avg"] = np.zeros_like(p)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
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

    def __init__(self, params: Sequence[np.ndarray], lr: float = 1e-3, betas: tuple[float,
                 float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, lr, maximize=maximize)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(as_real(b, f"betas[{i}]") for i, b in enumerate(betas))
        for i, b in enumerate(self.betas):
            check_in_range(b, f"betas[{i}]", 0, 1, high_open=True)
        self._set_options(as_nonnegative, eps=eps, weight_decay=weight_decay)
        self._set_options(as_flag, amsgrad=amsgrad, decoupled_weight_decay=decoupled_weight_decay)
        for p, state in zip(self.params, self.state):
            state["exp_avg"] = np.zeros_like(p)
            state["exp_avg_sq"] = np.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict) -> None:
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
