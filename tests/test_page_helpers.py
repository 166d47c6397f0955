"""The book's page helpers (book/page.py), and that the pages use them instead of their own."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import lib.activations
import lib.gradcheck
import lib.losses
import lib.optim
from book import page
from lib.network import TwoLayerNet

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "book").rglob("*.ipynb"))


@pytest.fixture
def glued(monkeypatch):
    """What the page glues, name -> value, with the page's settings back to the defaults after."""
    found: dict = {}
    monkeypatch.setattr(page, "glue", lambda name, value, display: found.__setitem__(name, value))
    monkeypatch.setattr(page, "_page", dict(page._page))
    return found


def test_glue_num_rounds_to_the_pages_significant_digits(glued):
    page.setup(sig=6)
    page.glue_num("x", 0.1234567891)
    page.glue_num("y", 0.1234567891, sig=3)
    assert glued == {"x": 0.123457, "y": 0.123}


def test_glue_num_keeps_the_float_when_the_page_rounds_nothing(glued):
    page.setup(sig=None)
    page.glue_num("x", 0.1 + 0.2)
    assert glued["x"] == 0.1 + 0.2


@pytest.mark.parametrize("sig", [0, -1, 2.5, True, "8"])
def test_setup_refuses_a_number_of_digits_that_is_not_one(glued, sig):
    with pytest.raises(ValueError, match="sig must be a positive number of digits"):
        page.setup(sig=sig)


@pytest.mark.parametrize("gap, symbol, words", [
    (0.0, "0", "exactly 0"),
    (3.2e-16, "< 1e-15", "less than 1e-15"),
    (-4e-9, "< 1e-08", "less than 1e-08"),
])
def test_a_rounding_level_gap_is_stated_by_its_power_of_ten(gap, symbol, words):
    assert (page.under(gap), page.less_than(gap)) == (symbol, words)


def test_within_never_names_a_power_finer_than_the_pages(glued):
    assert [page.within(g) for g in (0.0, 3.2e-16)] == ["exactly", "to within 1e-15"]
    page.setup(finest=-12)
    assert [page.within(g) for g in (0.0, 3.2e-16, 5e-9)] == ["to within 1e-12"] * 2 + ["to within 1e-8"]
    page.glue_within("gap", 0.0)
    assert glued["gap"] == "to within 1e-12"


def test_show_gives_the_source_of_public_lib_objects():
    text = page.show(lib.activations.relu, lib.activations.relu_grad).data
    assert text.startswith("def relu(") and "\n\n\ndef relu_grad(" in text


@pytest.mark.parametrize("obj, helpers", [
    (lib.activations.softmax, ["_shifted", "_softmax"]),
    (lib.activations.sigmoid, ["_sigmoid"]),
    (TwoLayerNet.forward, ["_forward"]),
    (lib.gradcheck.check_network_grads, ["_numerical_param_grad"]),
    (lib.losses.ctc, ["_ctc_nll"]),
])
def test_show_with_helpers_puts_the_private_math_first_and_leaves_the_checks_out(obj, helpers):
    text = page.show(obj, helpers=True).data
    defined = [node.name for node in ast.parse(text).body]
    assert defined == [*helpers, obj.__name__]


def test_show_refuses_a_private_name():
    with pytest.raises(ValueError, match="by a public name"):
        page.show(lib.activations._shifted)


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["\n".join("" if line.lstrip().startswith(("%", "!")) else line
                      for line in "".join(c["source"]).splitlines())
            for c in cells if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT / "book")))
def test_pages_use_the_page_helpers_and_lib_by_public_names(path):
    trees = [ast.parse(source) for source in _code_cells(path)]
    nodes = [node for tree in trees for node in ast.walk(tree)]
    helpers = {name for name in vars(page) if not name.startswith("_")}
    own = sorted(n.name for n in nodes if isinstance(n, ast.FunctionDef) and n.name in helpers)
    assert not own, f"the page defines its own {own}: import them from book.page"
    private = sorted({ast.unparse(n) for n in nodes if isinstance(n, ast.Attribute)
                      and n.attr.startswith("_") and not n.attr.startswith("__")
                      and ast.unparse(n).startswith(("lib.", "TwoLayerNet.", "MLP."))})
    assert not private, f"the page reads lib's private names {private}"
    floats = [ast.unparse(n) for n in nodes if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "glue"
              and len(n.args) == 2 and isinstance(n.args[1], ast.Call) and getattr(n.args[1].func, "id", "") == "float"]
    assert not floats, f"the page glues numbers past the page's precision: {floats[:3]}; use glue_num"
    assert not any(isinstance(n, ast.Attribute) and n.attr == "getsource" for n in nodes), \
        "the page reads source with inspect.getsource: use book.page.show"
    imports = [n for n in nodes if isinstance(n, ast.ImportFrom) and n.module == "book.page"]
    assert imports and any(isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup"
                           for n in nodes), "the page does not call book.page.setup()"
