"""Feedback that never shows hidden-test source.

nbgrader's feedback is the autograded notebook as HTML, hidden tests included, by design
(jupyter/nbgrader#917). Two things would leak them: the test cell's source, and the traceback of
a failing test, which quotes the lines around the failure. ``HideHiddenTests`` removes the hidden
region from each test cell (nbgrader's own ``ClearHiddenTests`` logic), leaves a note in its place,
and shortens every error in a test cell to its last line — the message from ``lib.testing``, which
says what was expected, what came back and for which input.
"""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests

HIDDEN_NOTE = "# (hidden tests ran here; their messages are below)"


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test regions and shorten tracebacks in grade cells, for feedback."""

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, cell_index: int):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        if self._remove_hidden_test_region(cell):
            cell.source = cell.source.rstrip("\n") + "\n" + HIDDEN_NOTE
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                output.traceback = [f"\x1b[0;31m{output.ename}\x1b[0m: {output.evalue}"]
        return cell, resources
