"""lib is an installed package: it imports from any working directory, numpy only."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = ("activations", "losses", "metrics", "optim", "network", "mlp", "layers", "gradcheck", "testing")


def test_lib_imports_from_any_working_directory(tmp_path):
    code = "import lib; print(lib.__file__); " + "; ".join(f"lib.{m}" for m in MODULES)
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).resolve() == ROOT / "lib" / "__init__.py"


def test_lib_uses_numpy_only():
    """The reference imports no framework: torch is the tests' oracle, never lib's helper."""
    code = ("import sys, lib; " + "; ".join(f"lib.{m}" for m in MODULES)
            + "; bad = [m for m in ('torch', 'scipy', 'jax') if m in sys.modules]; print(bad)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_every_module_is_listed():
    import lib

    assert sorted(lib.__all__) == sorted(MODULES)


def test_an_unknown_module_name_is_a_clear_attribute_error():
    import lib
    import pytest

    with pytest.raises(AttributeError, match="its modules are"):
        lib.optimizers  # noqa: B018
