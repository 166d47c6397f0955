"""book/_ext/course_build.py: the execution cache can never ship numbers from an older lib/."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ext(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("course_build", ROOT / "book" / "_ext" / "course_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "losses.py").write_text("def mse(): return 1\n")
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "LIB", tmp_path / "lib")
    return module


def fake_app(tmp_path):
    build = tmp_path / "_build"
    (build / "html").mkdir(parents=True, exist_ok=True)
    return SimpleNamespace(outdir=str(build / "html"),
                           config=SimpleNamespace(nb_execution_cache_path=str(build / ".jupyter_cache")))


def test_fingerprint_changes_when_a_lib_source_changes(ext, tmp_path):
    before = ext.lib_fingerprint()
    (tmp_path / "lib" / "losses.py").write_text("def mse(): return 2\n")
    assert ext.lib_fingerprint() != before


def test_cache_is_emptied_and_pages_outdated_after_lib_changes(ext, tmp_path):
    app = fake_app(tmp_path)
    cache = Path(app.config.nb_execution_cache_path)
    env = SimpleNamespace(found_docs={"book/a", "book/b"})

    cache.mkdir()
    ext.empty_cache_if_lib_changed(app)          # first build: no fingerprint stored yet
    assert not cache.exists()
    ext.remember_fingerprint(app, None)

    cache.mkdir()
    ext.empty_cache_if_lib_changed(app)          # nothing changed: cache kept, nothing outdated
    assert cache.exists()
    assert ext.outdate_every_page(app, env, set(), set(), set()) == []

    (tmp_path / "lib" / "losses.py").write_text("def mse(): return 3\n")
    ext.empty_cache_if_lib_changed(app)          # lib changed: cache emptied, every page re-read
    assert not cache.exists()
    assert ext.outdate_every_page(app, env, set(), set(), set()) == ["book/a", "book/b"]


def test_failed_build_does_not_store_the_fingerprint(ext, tmp_path):
    app = fake_app(tmp_path)
    ext.remember_fingerprint(app, RuntimeError("build failed"))
    assert not (tmp_path / "_build" / ".lib_fingerprint").exists()
