"""lib is an installed package: it imports from any working directory, numpy only, and ships whole."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import lib

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib"
# Read from the folder, independently of lib's own walk of it.
SUBPACKAGES = sorted(p.parent.name for p in LIB.glob("*/__init__.py"))
MODULES = sorted({p.stem for p in LIB.glob("*.py")} - {"__init__"} | set(SUBPACKAGES))
PUBLIC = [m for m in MODULES if not m.startswith("_")]
SOURCES = sorted(str(p.relative_to(ROOT)) for p in LIB.rglob("*.py"))


def test_lib_imports_from_any_working_directory(tmp_path):
    code = "import lib; print(lib.__file__); " + "; ".join(f"lib.{m}" for m in PUBLIC)
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).resolve() == LIB / "__init__.py"


def test_lib_uses_numpy_only():
    """The reference imports no framework: torch is the tests' oracle, never lib's helper."""
    code = ("import sys, lib; " + "; ".join(f"lib.{m}" for m in PUBLIC)
            + "; bad = [m for m in ('torch', 'scipy', 'jax') if m in sys.modules]; print(bad)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_every_public_module_is_listed():
    assert sorted(lib.__all__) == PUBLIC


def test_the_subpackages_are_the_families_of_losses_and_optim():
    assert SUBPACKAGES == ["losses", "optim"]


def test_an_unknown_module_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="its modules are"):
        lib.optimizers  # noqa: B018


def test_the_wheel_holds_every_module_of_lib(tmp_path):
    """pyproject finds the subpackages: a wheel built from it ships every source file of lib.

    Built from a copy of pyproject.toml and lib/, so that setuptools' build folders stay out of
    the repository."""
    source = tmp_path / "source"
    shutil.copytree(LIB, source / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source)
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    (wheel,) = tmp_path.glob("*.whl")
    shipped = sorted(n for n in zipfile.ZipFile(wheel).namelist() if n.startswith("lib/") and n.endswith(".py"))
    assert shipped == SOURCES


def lib_names_used_by_the_course() -> list[str]:
    """Every dotted ``lib.<module>.<name>`` written in the book's pages, the nbgrader sources and
    the student release, so that a move inside lib cannot break one of them unseen."""
    found = set()
    for folder in ("book", "solutions", "exercises"):
        for path in (ROOT / folder).rglob("*.ipynb"):
            found |= set(re.findall(r"\blib\.[a-z_]+\.[A-Za-z_][A-Za-z_0-9]*", path.read_text()))
    return sorted(found)


def test_every_lib_name_the_course_uses_exists():
    import importlib

    names = lib_names_used_by_the_course()
    assert len(names) > 50  # the pages do use lib
    missing = []
    for dotted in names:
        module, _, attr = dotted.rpartition(".")
        try:
            target = importlib.import_module(module)
        except ImportError:  # lib.losses.mse.__name__ and the like: an attribute of an attribute
            module, _, first = module.rpartition(".")
            target = getattr(importlib.import_module(module), first, None)
        if not hasattr(target, attr):
            missing.append(dotted)
    assert missing == []


def test_each_module_of_a_subpackage_exports_what_it_defines():
    """A family's ``__all__`` is every public function and class defined there, so the package
    (which re-exports the ``__all__`` of its modules) misses none and adds none."""
    import importlib
    import inspect

    for package in SUBPACKAGES:
        pkg = importlib.import_module(f"lib.{package}")
        modules = [m.stem for m in (LIB / package).glob("*.py") if not m.stem.startswith("_")]
        assert sorted(modules) == sorted(getattr(pkg, "FAMILIES", None) or pkg.TOPICS)
        for name in modules:
            module = importlib.import_module(f"lib.{package}.{name}")
            defined = {n for n, v in vars(module).items() if not n.startswith("_")
                       and (inspect.isfunction(v) or inspect.isclass(v)) and v.__module__ == module.__name__}
            assert sorted(module.__all__) == sorted(defined), module.__name__
            assert all(getattr(pkg, n) is getattr(module, n) for n in module.__all__)
