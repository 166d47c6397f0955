"""Feedback that never shows hidden-test source.

nbgrader's feedback is the autograded notebook as HTML, hidden tests included, by design
(jupyter/nbgrader#917). Two things would leak them: the test cell's source, and the traceback of
a failing test, which quotes the lines around the failure. ``HideHiddenTests`` removes the hidden
region from each test cell (nbgrader's own ``ClearHiddenTests`` logic), leaves a note in its place,
and shortens every error in a test cell to its last line — the message from ``lib.testing``, which
says what was expected, what came back and for which input.

The rest makes the feedback readable offline (template ``grading/templates/course_feedback``):
each graded cell named by its task, written answers awaiting grading marked pending (nbgrader
shows them as 0), and math as MathML instead of MathJax from a CDN.
"""
from __future__ import annotations

import argparse
import html
import re
import sys

from pathlib import Path

import nbgrader
from jinja2 import FileSystemLoader, PrefixLoader
from nbconvert.exporters import HTMLExporter
from nbconvert.exporters.exporter import ResourcesDict

from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, GetGrades
from traitlets import List, default

from selfcheck import task_headings

HIDDEN_NOTE = "# (hidden tests ran here; their messages are below)"


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test regions and shorten tracebacks in grade cells, for feedback."""

    display_data_priority = List(config=True)  # set on every preprocessor by nbgrader's app

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, cell_index: int):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        if self._remove_hidden_test_region(cell):
            cell.source = cell.source.rstrip("\n") + "\n" + HIDDEN_NOTE
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"\x1b[0;31m{output.ename}\x1b[0m: {output.evalue}"]
        return cell, resources


# -- readable offline: task names, pending written answers, math as MathML ---------------------
MATH = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|(?<![\\$])\$(?!\s)((?:\\\$|[^$])+?)(?<!\s)\$(?!\d)|\\\((.+?)\\\)", re.S)


class LabelledGrades(GetGrades):
    """nbgrader's ``GetGrades``, and every graded cell named for the feedback's contents: the task
    heading above it (the last markdown heading before the cell) and what the cell is ("tests",
    "hidden tests", "your answer"). A written answer nobody has graded yet is marked pending
    (nbgrader's score reads 0 for it) and the pending points are totalled."""

    display_data_priority = List(config=True)  # set on every preprocessor by nbgrader's app

    def _get_score(self, cell: NotebookNode, resources: ResourcesDict) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        cell.metadata.nbgrader["pending"] = grade.auto_score is None and grade.manual_score is None

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        nb, resources = super().preprocess(nb, resources)
        pending = 0.0
        for cell, task in zip(nb.cells, task_headings(nb)):
            meta = cell.metadata.get("nbgrader", {})
            if not meta.get("grade"):
                continue
            kind = ("your answer" if meta.get("solution") or cell.cell_type == "markdown"
                    else "hidden tests" if HIDDEN_NOTE in cell.source else "tests")
            meta["label"] = f"{task} — {kind}" if task else kind
            pending += float(meta.get("points", 0)) if meta.get("pending") else 0.0
        resources["nbgrader"]["pending"] = pending
        return nb, resources


MATHML_ELEMENTS = frozenset(
    "math semantics annotation mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot "
    "mover munder munderover mtable mtr mtd mlabeledtr mstyle merror mpadded mphantom menclose "
    "mmultiscripts mprescripts none".split())


def only_mathml(markup: str) -> str:
    """``markup`` if it is MathML only; a ValueError if it carries anything else. latex2mathml
    copies ``\\text{...}`` verbatim, so a student's ``$\\text{<script>…}$`` would otherwise become
    HTML in the feedback."""
    from xml.etree import ElementTree

    root = ElementTree.fromstring(markup)
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name not in MATHML_ELEMENTS or any(a.lower().startswith(("on", "href", "xlink")) for a in element.attrib):
            raise ValueError(f"not MathML: <{name}>")
    return markup


def markdown_with_mathml(source: str) -> str:
    """Markdown to HTML with its TeX math as MathML, which browsers render natively and screen
    readers read: feedback opened offline shows formulas, not raw ``$...$`` (nbgrader's template
    loads MathJax from a CDN). Math is set aside before the markdown renderer sees it."""
    from latex2mathml.converter import convert
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    formulas: list[str] = []

    def hold(match: re.Match) -> str:
        block = match.group(1) is not None or match.group(2) is not None
        tex = next(g for g in match.groups() if g is not None)
        try:
            formulas.append(only_mathml(convert(tex.strip(), display="block" if block else "inline")))
        except Exception:  # TeX latex2mathml cannot read, or that would carry HTML: shown as written
            formulas.append(html.escape(match.group(0)))
        return f"MATHFORMULA{len(formulas) - 1}X"

    rendered = markdown2html_mistune(MATH.sub(hold, source))
    return re.sub(r"MATHFORMULA(\d+)X", lambda m: formulas[int(m.group(1))], rendered)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter with the course's template (``grading/templates/
    course_feedback``, set in ``nbgrader_config.py``), which extends nbgrader's own template as
    ``nbgrader/feedback/index.html.j2`` and renders markdown with ``markdown_with_mathml``."""

    @default("extra_loaders")
    def _nbgrader_templates(self):
        root = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "templates"
        return [PrefixLoader({"nbgrader": FileSystemLoader(str(root))})]

    @default("filters")
    def _mathml_filter(self):
        return {"markdown_with_mathml": markdown_with_mathml}


def generate(assignment: str, students: list[str] | None = None, course_dir=None, out=sys.stdout) -> int:
    """nbgrader's generate_feedback for every autograded student (or ``students``), a line each."""
    from grading.course import api as course_api, assignment_notebooks, nbgrader_cause, students_with

    api = course_api(course_dir)
    assignment_notebooks(assignment, api.config)
    root = Path(api.coursedir.root)
    autograded = root / api.coursedir.autograded_directory
    students = students or students_with(autograded, assignment)
    if not students:
        print(f"no autograded submissions of {assignment!r}: run `make autograde ASSIGNMENT={assignment}` "
              f"first", file=out)
        return 1
    failed = 0
    for student in students:
        result = api.generate_feedback(assignment, student, force=True)
        folder = root / api.coursedir.feedback_directory / student / assignment
        if result["success"]:
            print(f"{student}: {', '.join(str(p.relative_to(root)) for p in sorted(folder.glob('*.html')))}",
                  file=out)
        else:
            failed += 1
            print(f"{student}: FAILED — {nbgrader_cause(result, 'nbgrader gave no reason')}", file=out)
    print(f"feedback for {len(students) - failed} of {len(students)} students in "
          f"{api.coursedir.feedback_directory}/<student>/{assignment}/", file=out)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Feedback HTML for each autograded student, a line each.")
    parser.add_argument("assignment")
    parser.add_argument("--student", action="append", help="only this student (repeatable)")
    args = parser.parse_args(argv)
    return generate(args.assignment, args.student)


if __name__ == "__main__":
    sys.exit(main())
