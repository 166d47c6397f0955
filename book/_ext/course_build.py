"""Sphinx extension for the course's book: fresh numbers and offline math.

1. **No stale numbers, and no needless re-runs.** jupyter-cache keys a notebook's outputs on its
   code cells only (jupyter-book#1633), and Sphinx re-reads a page only when its own file changed.
   So each page gets a fingerprint of what its numbers depend on: the sources of the lib modules
   it uses, the page helpers (``book/page.py``: the precision of glued numbers) and the versions of
   the packages that compute them. A page uses the modules that
   define the lib names it reads (``lib.losses.mse`` is ``lib/losses/regression.py``: a package's
   name is looked up in its ``__init__``, else in the submodule that defines it), and what those
   modules use in turn, with their packages' ``__init__`` files; a package used as a whole
   (``getattr(lib.losses, name)``) counts as all its modules. When a page's fingerprint changed,
   its record is dropped from the execution cache and the page is marked outdated, so it and only
   it is executed again. The analysis reads the sources (``ast``); it imports nothing.
2. **Math without a network.** MathJax is served from the site itself: the copy shipped by the
   PyPI package ``django-static-mathjax`` (no Django needed; it is only the MathJax files) is
   copied into ``_static/mathjax`` and Sphinx's ``mathjax_path`` points at it.
3. **Buttons that point at the course's own repository.** The repository button and the launch
   buttons (Binder, the course's JupyterHub) need the public repository's URL. It is taken from
   ``repository.url`` in ``_config.yml`` when set there, else from the clone's ``origin`` remote
   when that is on GitHub, GitLab or Bitbucket (so a fork's site points at the fork). A clone with
   no public remote builds without those buttons instead of with broken links, and says so.
4. **Accessible hidden cells.** myst-nb writes ``<summary aria-label="Toggle hidden content">``
   above a hidden cell while the reader sees "Show code cell source": a name that does not
   contain the visible label fails WCAG 2.5.3 (axe: label-content-name-mismatch). The summary is
   written here without the aria-label, so its name is the visible "Show/Hide code cell ...".
5. **Pages and exercises linked both ways.** Each task of an exercise notebook (the nbgrader
   release in ``exercises/``, also a page of the site) links to the book page that teaches it.
   Those links are the one record of which task practises which page: from them every book page
   gets, at its end, a "Practise it" section linking to its tasks (or to its chapter's exercise
   notebook, or to all of them for the pages that belong to no chapter).
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("numpy", "matplotlib", "torch", "myst-nb")
PAGE_HELPERS = Path("book", "page.py")  # what every page imports (from the root)
MATHJAX_ENTRY = "tex-chtml.js"


class LibIndex:
    """The modules of ``lib/`` under ``root``, read with ``ast``: what each defines and imports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, Path] = {}
        for path in sorted((root / "lib").rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            self.files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
        self.trees = {name: ast.parse(path.read_text()) for name, path in self.files.items()}
        self.defined = {name: _defined_names(tree) for name, tree in self.trees.items()}
        self.aliases = {name: _lib_aliases(tree, name) for name, tree in self.trees.items()}
        self._deps: dict[str, set[str]] = {}

    def submodules(self, package: str) -> list[str]:
        return [name for name in self.files if name.startswith(package + ".")]

    def resolve(self, dotted: str, seen: frozenset = frozenset()) -> set[str]:
        """The modules whose code the object ``dotted`` (``lib.losses.mse``) is: one module for a
        function, class or constant; every module of a package for a package used as a whole."""
        parts = dotted.split(".")
        cut = next((i for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in self.files), 0)
        if cut == 0 or dotted in seen:
            return set()
        module, rest = ".".join(parts[:cut]), parts[cut:]
        if not rest:  # a module used as a whole: all of it
            return {module, *self.submodules(module)}
        name, seen = rest[0], seen | {dotted}
        if name in self.defined[module]:
            return {module}
        if name in self.aliases[module]:  # imported there: follow the import
            return self.resolve(".".join([self.aliases[module][name], *rest[1:]]), seen)
        owners = [sub for sub in self.submodules(module) if name in self.defined[sub]]
        if owners:  # a package re-exporting its submodules' names (lib.losses, lib.optim)
            return set(owners)
        return {module, *self.submodules(module)}  # not found by reading: the whole package

    def module_deps(self, module: str) -> set[str]:
        """``module``, its packages' ``__init__``, and every module they use, transitively."""
        if module not in self._deps:
            self._deps[module] = deps = {module}
            packages = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
            for used in [*packages, *sorted(set().union(*(self.resolve(r) for r in _references(
                    self.trees[module], self.aliases[module]))))]:
                deps |= self.module_deps(used)
        return self._deps[module]

    def notebook_deps(self, notebook: Path) -> set[str]:
        """The lib modules whose sources a notebook's code cells depend on."""
        code = "\n".join(cell.source for cell in nbformat.read(notebook, as_version=4).cells
                         if cell.cell_type == "code")
        tree = ast.parse(_python_only(code))
        used = set().union(*(self.resolve(r) for r in _references(tree, _lib_aliases(tree, ""))))
        return set().union(*(self.module_deps(m) for m in used))

    def fingerprint(self, modules: set[str]) -> str:
        """A hash of the sources of ``modules`` and of the page helpers, and of the versions of the
        computing packages."""
        helpers = self.root / PAGE_HELPERS
        digest = hashlib.sha256(helpers.read_bytes() if helpers.exists() else b"no page helpers")
        for name in sorted(modules):
            digest.update(name.encode())
            digest.update(self.files[name].read_bytes())
        for package in PACKAGES:
            try:
                digest.update(f"{package}=={metadata.version(package)}".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{package} absent".encode())
        return digest.hexdigest()


def _defined_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _lib_aliases(tree: ast.Module, module: str) -> dict[str, str]:
    """Local name -> the dotted lib name it stands for (``L`` -> ``lib.losses``)."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "lib" or a.name.startswith("lib."):
                    aliases[a.asname] = a.name if a.asname else aliases.setdefault("lib", "lib")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module == "lib" or node.module.startswith("lib.")):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    aliases.pop(None, None)
    return aliases


def _references(tree: ast.Module, aliases: dict[str, str]) -> set[str]:
    """The dotted lib names a module or a notebook reads: the longest ``alias.attr.attr`` chains
    and the bare aliases."""
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    refs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            chain, base = [], node
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in aliases:
                refs.add(".".join([aliases[base.id], *reversed(chain)]))
        elif isinstance(node, ast.Name) and node.id in aliases and id(node) not in inner:
            refs.add(aliases[node.id])
    return refs


def _python_only(code: str) -> str:
    """A notebook's code without IPython's magics and shell escapes (``%matplotlib``, ``!pip``)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())


def _stamp(app: Sphinx) -> Path:
    return Path(app.outdir).parent / ".lib_fingerprints.json"


def _cache_dir(app: Sphinx) -> Path:
    configured = app.config.nb_execution_cache_path
    return Path(configured) if configured else Path(app.outdir).parent / ".jupyter_cache"


def outdate_pages_whose_lib_changed(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Pages whose lib fingerprint changed: their cache record dropped, the pages read again.

    A build that does not execute (``execute_notebooks: off``, the tests' build from the stored
    outputs) neither drops nor records anything: the fingerprints stay those of the outputs that
    were last computed."""
    if getattr(app.config, "nb_execution_mode", "cache") == "off":
        return []
    index = LibIndex(ROOT)
    stamp = _stamp(app)
    before = json.loads(stamp.read_text()) if stamp.exists() else {}
    app.course_fingerprints = now = {}
    outdated = []
    for docname in sorted(env.found_docs - set(removed)):
        notebook = Path(env.doc2path(docname))
        if notebook.suffix != ".ipynb":
            continue
        now[docname] = index.fingerprint(index.notebook_deps(notebook))
        if before.get(docname) != now[docname]:
            _forget_cached_outputs(app, notebook)
            if docname not in added:
                outdated.append(docname)
    if outdated:
        logger.info(f"lib changed for {len(outdated)} page(s): {', '.join(outdated)}")
    return outdated


def _forget_cached_outputs(app: Sphinx, notebook: Path) -> None:
    cache_path = _cache_dir(app)
    if not cache_path.exists():
        return
    from jupyter_cache import get_cache

    cache = get_cache(cache_path)
    try:
        record = cache.match_cache_file(notebook)
    except KeyError:  # no outputs cached for this code
        return
    cache.remove_cache(record.pk)


def remember_fingerprints(app: Sphinx, exception: Exception | None) -> None:
    """Only a build that finished stores the fingerprints; a failed one is redone in full."""
    if exception is None and getattr(app, "course_fingerprints", None) is not None:
        stamp = _stamp(app)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(app.course_fingerprints, indent=1, sort_keys=True))


def serve_mathjax_locally(app: Sphinx, config) -> None:
    import mathjax  # the django-static-mathjax package

    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    if not (source / MATHJAX_ENTRY).exists():
        raise RuntimeError(f"MathJax not found at {source}; reinstall django-static-mathjax")
    target = Path(app.outdir) / "_static" / "mathjax"
    # The combined component loads its fonts from output/chtml/fonts; the rest is not needed.
    if not (target / MATHJAX_ENTRY).exists():
        (target / "output" / "chtml").mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / MATHJAX_ENTRY, target / MATHJAX_ENTRY)
        shutil.copytree(source / "output" / "chtml" / "fonts",
                        target / "output" / "chtml" / "fonts", dirs_exist_ok=True)
    config.mathjax_path = f"mathjax/{MATHJAX_ENTRY}"


PUBLIC_REMOTE = re.compile(
    r"(?:https://|ssh://git@|git@)(?P<host>github\.com|gitlab\.com|bitbucket\.org)[/:]"
    r"(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?"
)
# Jupyter Book fills repository.url with its own repository when _config.yml leaves it out.
JUPYTER_BOOK_DEFAULT_URL = "https://github.com/executablebooks/jupyter-book"
LAUNCH_PROVIDERS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url")


def public_web_url(remote: str) -> str | None:
    """The https address of a GitHub/GitLab/Bitbucket remote (https or ssh form); else None."""
    match = PUBLIC_REMOTE.fullmatch(remote.strip())
    if match is None:
        return None
    return f"https://{match['host']}/{match['owner']}/{match['repo']}"


def origin_remote(root: Path) -> str:
    """``git remote get-url origin`` in root, or "" when there is no git or no such remote."""
    try:
        run = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return run.stdout.strip() if run.returncode == 0 else ""


def point_buttons_at_repository(app: Sphinx, config) -> None:
    """Fill repository_url from the origin remote; without a repository, drop its buttons."""
    options = config.html_theme_options
    configured = options.get("repository_url", "")
    if configured.rstrip("/") == JUPYTER_BOOK_DEFAULT_URL:
        configured = ""
    url = configured or public_web_url(origin_remote(ROOT))
    launch = options.get("launch_buttons", {})
    if url:
        # Set, not defaulted: jupyter-book's defaults already say false for both.
        options.update(repository_url=url, use_repository_button=True, use_issues_button=True)
        return
    options.pop("repository_url", None)
    options["use_repository_button"] = options["use_issues_button"] = False
    options["launch_buttons"] = {k: v for k, v in launch.items() if k not in LAUNCH_PROVIDERS}
    logger.info("no public repository (repository.url in _config.yml, or a GitHub/GitLab/Bitbucket "
                "origin remote): building without the repository and launch buttons")


def visit_hidden_cell(self, node) -> None:
    """myst-nb's visit_HideCellInput without the aria-label that contradicts the visible text."""
    from html import escape

    self.body.append(f'<details class="admonition hide {" ".join(node["classes"])}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def label_hidden_cells_by_their_text(app: Sphinx) -> None:
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_HideCellInput))


EXERCISES = ROOT / "exercises"
BOOK_LINK = re.compile(r"\]\((?:\.\./)+book/(?P<page>[\w/.-]+?)\.ipynb(?:#[\w-]*)?\)")


def exercise_notebooks() -> dict[str, str]:
    """docname -> title of each released exercise notebook, exercises/<assignment>/<assignment>."""
    notebooks = {}
    for path in sorted(EXERCISES.glob("*/*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        first = "".join(cells[0]["source"]).splitlines()[0] if cells else path.stem
        notebooks[path.relative_to(ROOT).with_suffix("").as_posix()] = first.lstrip("# ").strip()
    return notebooks


def tasks_by_page() -> dict[str, list[tuple[str, str]]]:
    """book docname -> [(exercise docname, task heading)], from the task cells' links to the book."""
    found: dict[str, list[tuple[str, str]]] = {}
    for doc in exercise_notebooks():
        for cell in json.loads((ROOT / f"{doc}.ipynb").read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] != "markdown" or not source.startswith("#"):
                continue
            heading = source.splitlines()[0].lstrip("# ").strip()
            for page in dict.fromkeys(m["page"] for m in BOOK_LINK.finditer(source)):
                found.setdefault(f"book/{page}", []).append((doc, heading))
    return found


def task_section(doctree: nodes.document, heading: str) -> nodes.section | None:
    """The section titled ``heading`` (its text as written in the notebook, math included)."""
    plain = re.sub(r"[\s$`*\\]+", "", heading)
    for section in doctree.findall(nodes.section):
        if re.sub(r"[\s$`*\\]+", "", section[0].astext()) == plain and section["ids"]:
            return section
    return None


def exercises_depend_on_released_notebooks(app: Sphinx, doctree) -> None:
    """A book page's "Practise it" section changes when an exercise notebook does."""
    if app.env.docname.startswith("book/"):
        for path in EXERCISES.glob("*/*.ipynb"):
            app.env.note_dependency(str(path))


def link(app: Sphinx, docname: str, target: str, text: str | list[nodes.Node],
         anchor: str | None = None) -> nodes.reference:
    """A link from docname to target (at anchor), showing text or (a task title's) nodes."""
    uri = app.builder.get_relative_uri(docname, target) + (f"#{anchor}" if anchor else "")
    if isinstance(text, str):
        return nodes.reference("", text, internal=True, refuri=uri)
    return nodes.reference("", "", *text, internal=True, refuri=uri)


def add_practise_section(app: Sphinx, doctree, docname: str) -> None:
    """End each book page with links to the exercise tasks that practise it."""
    if not docname.startswith("book/") or app.builder.format != "html":
        return
    notebooks = {doc: title for doc, title in exercise_notebooks().items() if doc in app.env.all_docs}
    if not notebooks:
        return
    tasks = tasks_by_page().get(docname, [])
    chapter = f"exercises/{docname.split('/')[1]}/{docname.split('/')[1]}"
    section = nodes.section(ids=["practise-it"], classes=["practise-it"])
    section += nodes.title("", "Practise it")
    if tasks:
        section += nodes.paragraph("", "The exercise tasks that practise this page:")
        items = nodes.bullet_list()
        for doc, heading in sorted(tasks, key=lambda task: task[0] != chapter):  # its chapter's first
            task = task_section(app.env.get_doctree(doc), heading)
            title = [child.deepcopy() for child in task[0].children] if task else heading
            item = nodes.paragraph("", "", link(app, docname, doc, title, task["ids"][0] if task else None),
                                   nodes.Text(", in "),
                                   link(app, docname, doc, notebooks.get(doc, doc)))
            items += nodes.list_item("", item)
        section += items
    elif chapter in notebooks:
        para = nodes.paragraph("", "This chapter's exercise notebook is ")
        para += [link(app, docname, chapter, notebooks[chapter]), nodes.Text(".")]
        section += para
    else:
        para = nodes.paragraph("", "The exercise notebooks of the course:")
        items = nodes.bullet_list()
        for doc, title in notebooks.items():
            items += nodes.list_item("", nodes.paragraph("", "", link(app, docname, doc, title)))
        section += [para, items]
    top = next(iter(doctree.findall(nodes.section)), None)
    (top if top is not None else doctree).append(section)


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", serve_mathjax_locally)
    app.connect("config-inited", point_buttons_at_repository)
    app.connect("builder-inited", label_hidden_cells_by_their_text)
    app.connect("env-get-outdated", outdate_pages_whose_lib_changed)
    app.connect("doctree-read", exercises_depend_on_released_notebooks)
    app.connect("doctree-resolved", add_practise_section)
    app.connect("build-finished", remember_fingerprints)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
