"""Shared fixtures and helpers for the test suite.

Hypothesis runs with the ``ci`` profile (fixed number of examples, no deadline: the machines are
noisy). Warnings are errors (see ``pyproject.toml``): nbgrader scores a test cell 0 when anything
is printed to stderr, so a warning from lib is a bug.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

# The built book, its server and a headless Chromium, for every test file that looks at the site.
from book_site import browser, built_site, site_server  # noqa: F401  (fixtures)

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")

torch.set_default_dtype(torch.float64)


def t(x, requires_grad: bool = False) -> torch.Tensor:
    """A float64 torch tensor holding a copy of ``x``."""
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


def assert_close(actual, expected, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """``actual`` (numpy) equals ``expected`` (numpy or torch) within tolerance."""
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
