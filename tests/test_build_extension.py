"""book/_ext/course_build.py: the execution cache can never ship numbers from an older lib/."""
from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

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


@pytest.mark.parametrize("remote, url", [
    ("https://github.com/nn-course/foundations.git", "https://github.com/nn-course/foundations"),
    ("https://github.com/nn-course/foundations", "https://github.com/nn-course/foundations"),
    ("git@github.com:nn-course/foundations.git", "https://github.com/nn-course/foundations"),
    ("ssh://git@gitlab.com/nn-course/foundations.git", "https://gitlab.com/nn-course/foundations"),
    ("https://bitbucket.org/nn-course/foundations/", "https://bitbucket.org/nn-course/foundations"),
    ("/work/main", None),                                   # a local clone: nothing public to link
    ("https://git.internal.example/nn-course/foundations", None),
    ("", None),
])
def test_public_web_url_of_a_remote(ext, remote, url):
    assert ext.public_web_url(remote) == url


def theme_config(**options):
    launch = {"notebook_interface": "jupyterlab", "binderhub_url": "https://mybinder.org",
              "jupyterhub_url": "https://hub.example.edu"}
    return SimpleNamespace(html_theme_options={"launch_buttons": launch, **options})


def test_buttons_point_at_the_origin_remote(ext, monkeypatch):
    monkeypatch.setattr(ext, "origin_remote", lambda root: "git@github.com:nn-course/foundations.git")
    config = theme_config()
    ext.point_buttons_at_repository(None, config)
    options = config.html_theme_options
    assert options["repository_url"] == "https://github.com/nn-course/foundations"
    assert options["use_repository_button"] and options["use_issues_button"]
    assert options["launch_buttons"]["binderhub_url"] == "https://mybinder.org"


def test_configured_repository_wins_over_the_remote(ext, monkeypatch):
    monkeypatch.setattr(ext, "origin_remote", lambda root: "https://github.com/a-fork/foundations")
    config = theme_config(repository_url="https://github.com/nn-course/foundations")
    ext.point_buttons_at_repository(None, config)
    assert config.html_theme_options["repository_url"] == "https://github.com/nn-course/foundations"


def test_without_a_public_repository_the_buttons_are_left_out(ext, monkeypatch):
    monkeypatch.setattr(ext, "origin_remote", lambda root: "/srv/git/foundations")
    config = theme_config()
    ext.point_buttons_at_repository(None, config)
    options = config.html_theme_options
    assert "repository_url" not in options
    assert not options["use_repository_button"] and not options["use_issues_button"]
    assert options["launch_buttons"] == {"notebook_interface": "jupyterlab"}


def test_origin_remote_of_a_clone(ext, tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert ext.origin_remote(tmp_path) == ""
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin",
                    "https://github.com/nn-course/foundations.git"], check=True)
    assert ext.origin_remote(tmp_path) == "https://github.com/nn-course/foundations.git"


@pytest.mark.parametrize("repository", [None, {"url": "https://github.com/executablebooks/jupyter-book"}])
def test_jupyter_books_default_repository_is_not_taken_for_the_courses(ext, monkeypatch, tmp_path, repository):
    """Left out of _config.yml, repository.url defaults to Jupyter Book's own repository."""
    from jupyter_book.config import get_final_config

    user = yaml.safe_load((ROOT / "_config.yml").read_text())
    if repository is None:
        user.pop("repository", None)
    else:
        user["repository"] = repository
    sphinx_config, _ = get_final_config(user_yaml=user, cli_config={"latex_individualpages": False}, sourcedir=ROOT)
    config = SimpleNamespace(html_theme_options=sphinx_config["html_theme_options"])
    monkeypatch.setattr(ext, "origin_remote", lambda root: "/srv/git/foundations")
    ext.point_buttons_at_repository(None, config)
    assert not config.html_theme_options.get("repository_url")
    assert not config.html_theme_options["use_repository_button"]


def test_the_courses_config_takes_the_repository_from_the_remote(ext, monkeypatch):
    from jupyter_book.config import get_final_config

    user = yaml.safe_load((ROOT / "_config.yml").read_text())
    sphinx_config, _ = get_final_config(user_yaml=user, cli_config={"latex_individualpages": False}, sourcedir=ROOT)
    config = SimpleNamespace(html_theme_options=sphinx_config["html_theme_options"])
    monkeypatch.setattr(ext, "origin_remote", lambda root: "git@github.com:nn-course/foundations.git")
    ext.point_buttons_at_repository(None, config)
    assert config.html_theme_options["repository_url"] == "https://github.com/nn-course/foundations"
