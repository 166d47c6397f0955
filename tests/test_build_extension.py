"""book/_ext/course_build.py: the execution cache can never ship numbers from an older lib/."""
from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


FAKE_LIB = {
    "lib/__init__.py": "",
    "lib/_checks.py": "def check(x):\n    return x\n",
    "lib/losses/__init__.py": "from lib.losses._common import EPS\n",
    "lib/losses/_common.py": "from lib._checks import check\nEPS = 1e-7\n\n\ndef helper(x):\n    return check(x) + EPS\n",
    "lib/losses/regression.py": "from lib.losses._common import helper\n\n\ndef mse(x):\n    return helper(x) ** 2\n",
    "lib/losses/ranking.py": "import numpy as np\n\n\ndef bpr(x):\n    return np.log1p(x)\n",
    "lib/optim.py": "def sgd(x):\n    return x\n",
    "book/page.py": "SIG = 8\n",
}
PAGES = {  # page -> its code cells
    "book/regression": ["%matplotlib inline\nimport lib.losses", "lib.losses.mse(2.0)"],
    "book/ranking": ["from lib import losses as L", "L.bpr(1.0)"],
    "book/optim": ["from lib.optim import sgd\nsgd(1.0)"],
    "book/every_loss": ["import lib.losses\nfor name in ['mse', 'bpr']:\n    getattr(lib.losses, name)(1.0)"],
}


@pytest.fixture
def ext(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("course_build", ROOT / "book" / "_ext" / "course_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path, text in FAKE_LIB.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    for page, cells in PAGES.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        (tmp_path / "book").mkdir(exist_ok=True)
        nbformat.write(nb, str(tmp_path / f"{page}.ipynb"))
    monkeypatch.setattr(module, "ROOT", tmp_path)
    return module


def fake_app(tmp_path):
    build = tmp_path / "_build"
    (build / "html").mkdir(parents=True, exist_ok=True)
    return SimpleNamespace(outdir=str(build / "html"),
                           config=SimpleNamespace(nb_execution_cache_path=str(build / ".jupyter_cache")))


def fake_env(tmp_path):
    return SimpleNamespace(found_docs=set(PAGES) | {"intro"},
                           doc2path=lambda doc: str(tmp_path / (doc + (".md" if doc == "intro" else ".ipynb"))))


def test_a_page_depends_on_the_modules_that_define_what_it_uses(ext, tmp_path):
    index = ext.LibIndex(tmp_path)
    deps = {page: index.notebook_deps(tmp_path / f"{page}.ipynb") for page in PAGES}
    package = {"lib", "lib.losses"}  # what lib.losses' __init__ only imports is not run by the page
    regression = {"lib.losses.regression", "lib.losses._common", "lib._checks"}  # mse's helpers
    assert deps["book/regression"] == package | regression
    assert deps["book/ranking"] == package | {"lib.losses.ranking"}
    assert deps["book/optim"] == {"lib", "lib.optim"}
    assert deps["book/every_loss"] == package | regression | {"lib.losses.ranking"}  # the package as a whole


def test_only_the_pages_using_a_changed_module_are_executed_again(ext, tmp_path):
    app, env = fake_app(tmp_path), fake_env(tmp_path)
    outdated = lambda: ext.outdate_pages_whose_lib_changed(app, env, set(), set(), set())  # noqa: E731
    assert outdated() == sorted(PAGES)            # first build: no fingerprints stored yet
    ext.remember_fingerprints(app, None)
    assert outdated() == []                       # nothing changed
    ext.remember_fingerprints(app, None)

    ranking = tmp_path / "lib" / "losses" / "ranking.py"
    ranking.write_text(ranking.read_text() + "# one line more\n")
    assert outdated() == ["book/every_loss", "book/ranking"]
    ext.remember_fingerprints(app, None)
    (tmp_path / "lib" / "_checks.py").write_text("def check(x):\n    return 2 * x\n")
    assert outdated() == ["book/every_loss", "book/regression"]


def test_a_change_in_the_page_helpers_executes_every_page_again(ext, tmp_path):
    app, env = fake_app(tmp_path), fake_env(tmp_path)
    ext.outdate_pages_whose_lib_changed(app, env, set(), set(), set())
    ext.remember_fingerprints(app, None)
    (tmp_path / "book" / "page.py").write_text("SIG = 6\n")  # e.g. the precision of glued numbers
    assert ext.outdate_pages_whose_lib_changed(app, env, set(), set(), set()) == sorted(PAGES)


def test_a_failed_build_stores_no_fingerprint(ext, tmp_path):
    app = fake_app(tmp_path)
    ext.outdate_pages_whose_lib_changed(app, fake_env(tmp_path), set(), set(), set())
    ext.remember_fingerprints(app, RuntimeError("build failed"))
    assert not (tmp_path / "_build" / ".lib_fingerprints.json").exists()


def test_a_changed_page_loses_its_cached_outputs_and_the_others_keep_theirs(ext, tmp_path):
    from jupyter_cache import get_cache

    app, env = fake_app(tmp_path), fake_env(tmp_path)
    cache = get_cache(app.config.nb_execution_cache_path)
    ext.outdate_pages_whose_lib_changed(app, env, set(), set(), set())
    ext.remember_fingerprints(app, None)
    for page in PAGES:
        cache.cache_notebook_file(tmp_path / f"{page}.ipynb", check_validity=False)
    (tmp_path / "lib" / "optim.py").write_text("def sgd(x):\n    return -x\n")
    assert ext.outdate_pages_whose_lib_changed(app, env, set(), set(), set()) == ["book/optim"]
    with pytest.raises(KeyError):
        cache.match_cache_file(tmp_path / "book/optim.ipynb")
    assert cache.match_cache_file(tmp_path / "book/ranking.ipynb")


def test_a_new_page_is_executed_without_being_marked_outdated(ext, tmp_path):
    app = fake_app(tmp_path)
    assert ext.outdate_pages_whose_lib_changed(app, fake_env(tmp_path), {"book/optim"}, set(), set()) == [
        page for page in sorted(PAGES) if page != "book/optim"]


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


def test_a_build_without_execution_leaves_the_fingerprints_alone(ext, tmp_path):
    app = fake_app(tmp_path)
    app.config.nb_execution_mode = "off"
    assert ext.outdate_pages_whose_lib_changed(app, fake_env(tmp_path), set(), set(), set()) == []
    ext.remember_fingerprints(app, None)
    assert not (tmp_path / "_build" / ".lib_fingerprints.json").exists()
