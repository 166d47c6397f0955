"""Loss functions and their gradients with respect to the prediction (numpy reference).

One module per family, as the chapter's pages: ``regression``, ``classification``, ``margin``
(margin and metric learning), ``ranking``, ``sequence``, ``generative``, ``reinforcement``,
``regularization``. Every public name of every family is also a name of this package
(``lib.losses.mse`` is ``lib.losses.regression.mse``), found by walking the package.

Conventions of this module
--------------------------
* **Argument order and names.** Prediction first, target second, as in ``torch.nn.functional``,
  each argument named for what it holds (the vocabulary of ``lib``'s docstring): ``mse(pred,
  target)``, ``bce(probs, target)``, ``bce_with_logits(logits, target)``, ``cross_entropy(logits,
  labels)``, ``nll(log_probs, labels)``, ``hinge(scores, target)``. Families with quantities of
  their own name them so (``d_real``, ``mu``, ``log_var``, ``advantage``, ...). The exceptions
  follow the notes' notation for two distributions: ``kl_divergence(p, q)`` (D_KL(p || q), the
  target distribution ``p`` first, the prediction ``q`` second), ``js_divergence(p, q)`` and
  ``wasserstein_1d(p, q, support)``. Docstring formulas use the notes' symbols: p for ``probs``,
  z for ``logits``, y for ``target``. The old names of renamed arguments (``bce(p=, y=)``,
  ``bce_with_logits(z=, y=)``, ``categorical_cross_entropy(probs, onehot=)``, ``hinge(scores,
  y=)``, ...) are still accepted as keywords.
* **Reduction.** Every loss takes ``reduction="mean" | "sum" | "none"``. ``"none"`` returns the
  unreduced losses: one per element for elementwise losses (MSE, BCE, hinge, ...), one per sample
  for losses that sum over a class, feature or latent axis (cross-entropy, KL, VAE, ...). ``"sum"``
  adds them up and ``"mean"`` averages them; each docstring says what is averaged.
* **Class axis last.** Class probabilities, logits and one-hot targets have shape ``(..., C)``
  (usually ``(N, C)``); integer labels have the leading shape ``(...)``. torch puts the class axis
  at position 1 for inputs of more than two dimensions; for ``(N, C)`` inputs the two agree.
* **Gradients.** ``<name>_grad`` takes the arguments of ``<name>`` and returns the derivative with
  respect to the prediction (the first argument; the second for ``kl_divergence``). For
  ``"sum"`` and ``"mean"`` it is the gradient of the scalar loss, shape of the prediction. For
  ``"none"`` it is the derivative of each unreduced loss with respect to its own prediction
  entries, i.e. the gradient of the ``"sum"`` loss (the same array whenever the prediction is not
  broadcast against the target).
  A loss without ``<name>_grad`` says so in its docstring: most are *evaluated only* (their values
  are tested against torch; the course trains nothing with them in numpy, torch's autograd
  differentiates them), a few have their gradient under another name (``diffusion_loss`` is
  ``mse``, ``td_loss`` is ``mse`` against a fixed target).
* **Shapes** of prediction and target must broadcast (numpy rules) unless a docstring says
  otherwise. **dtypes**: float32 in gives float32 out, float64 gives float64; integer and boolean
  inputs (0/1 targets, labels) become float64 but do not promote a float32 prediction.
* **Probabilities.** Losses that take probabilities take the log of ``p`` clipped to
  ``[PROB_EPS, 1 - PROB_EPS]`` with ``PROB_EPS = 1e-7`` (representable next to 1 in float32), so a
  probability of exactly 0 or 1 gives a large but finite loss (-log 1e-7 = 16.12). torch instead
  clamps each log at -100; the two agree for probabilities in ``[1e-7, 1 - 1e-7]``. The
  gradients are evaluated at the clipped probability: finite, and pointing toward the target.
* **Logits.** The logit forms (``bce_with_logits``, ``cross_entropy``) never exponentiate a large
  positive number: they use ``softplus`` and ``log_softmax`` from ``lib.activations`` and are
  exact, without overflow or warnings, for logits up to 1e4 in magnitude.
* **Bad input** raises ``ValueError`` or ``TypeError`` naming the argument (see ``lib._checks``).
"""
from __future__ import annotations

import importlib
import pkgutil

from lib._checks import reduce  # noqa: F401  (shown on the page "Loss, cost, likelihood")
from lib.losses._common import PROB_EPS
from lib.losses.sequence import _ctc_nll  # noqa: F401  (shown on the page "Margin and metric learning")

#: The family modules, in the package's folder (private modules, starting with ``_``, left out).
FAMILIES = tuple(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))

__all__ = ["PROB_EPS"]
for _family in FAMILIES:
    _module = importlib.import_module(f"{__name__}.{_family}")
    __all__ += _module.__all__
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})
del _family, _module
