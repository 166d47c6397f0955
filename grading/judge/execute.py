"""``SandboxedExecute``: nbgrader's Execute step, replaced (``c.Autograde.autograde_preprocessors``).

nbgrader stays the gradebook and the workflow: it restores locked cells, checks checksums,
scores the test cells (a test cell passes when it has no error output), keeps manual grading,
feedback and export. Only execution changes: the student's cells run in a sandbox, the test
cells run here with the instructor's source (``grading.judge.run``).

``grading.autograde --jobs N`` runs notebooks in parallel worker processes first and hands the
results over through ``PRECOMPUTED`` (keyed by the notebook's plan, so a result is only used for
exactly the notebook it was computed for); nbgrader then records them from this one process.
``nbgrader autograde`` alone runs each notebook here, one at a time.
"""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Bool, Float, Int

from grading.judge.run import Result, plan, plan_key, run_notebook
from grading.sandbox.bwrap import Limits

PRECOMPUTED: dict[str, Result] = {}  # plan key -> result, filled by grading.autograde's workers
REPORTS: dict[tuple[str, str], list[str]] = {}  # (student, notebook) -> events, for the progress line


def test_sources(db_url: str, notebook: str, assignment: str) -> dict[str, str]:
    """grade id -> source of every autograded test cell, as the gradebook holds it (hidden tests
    included): the only test code the grader runs."""
    with Gradebook(db_url) as gb:
        try:
            nb = gb.find_notebook(notebook, assignment)
        except MissingEntry:
            return {}
        solutions = {c.name for c in nb.solution_cells}
        graded = {c.name for c in nb.grade_cells if c.cell_type == "code"}
        return {c.name: c.source for c in nb.source_cells if c.name in graded - solutions}


class SandboxedExecute(NbGraderPreprocessor):
    """Execute the notebook: the student's code sandboxed, the tests outside."""

    sandbox = Bool(True, help="Run the student's code in a bubblewrap sandbox. Turn off only where "
                              "the sandbox cannot start, knowing the code then runs with your rights."
                   ).tag(config=True)
    cell_seconds = Float(Limits.cell_seconds, help="Wall time of one cell").tag(config=True)
    cell_cpu_seconds = Float(Limits.cell_cpu_seconds, help="CPU time of one cell").tag(config=True)
    notebook_seconds = Float(Limits.notebook_seconds, help="Wall time of one notebook").tag(config=True)
    cpu_seconds = Int(Limits.cpu_seconds, help="CPU time of one notebook's kernel").tag(config=True)
    memory_bytes = Int(Limits.memory_bytes, help="Address space of the kernel").tag(config=True)
    processes = Int(Limits.processes, help="Processes and threads of the kernel").tag(config=True)
    cell_output_bytes = Int(Limits.cell_output_bytes, help="Output kept per cell").tag(config=True)
    notebook_output_bytes = Int(Limits.notebook_output_bytes, help="Output kept per notebook").tag(config=True)
    flood_bytes = Int(Limits.flood_bytes, help="Output that stops a cell").tag(config=True)

    def limits(self) -> Limits:
        return Limits(cell_seconds=self.cell_seconds, cell_cpu_seconds=self.cell_cpu_seconds,
                      notebook_seconds=self.notebook_seconds,
                      cpu_seconds=self.cpu_seconds, memory_bytes=self.memory_bytes,
                      processes=self.processes, cell_output_bytes=self.cell_output_bytes,
                      notebook_output_bytes=self.notebook_output_bytes, flood_bytes=self.flood_bytes)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        info = resources["nbgrader"]
        tests = test_sources(info["db_url"], info["notebook"], info["assignment"])
        steps = plan(nb.cells, tests)
        result = PRECOMPUTED.pop(plan_key(steps), None)
        if result is None:
            result = run_notebook(steps, self.limits(), sandbox=self.sandbox)
        apply(nb, result)
        REPORTS[(info.get("student", ""), info["notebook"])] = result.events
        return nb, resources


def apply(nb: NotebookNode, result: Result) -> None:
    """Put the outputs of a run into the notebook's code cells."""
    count = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count
        cell.outputs = [from_dict(o) for o in result.outputs.get(i, [])]
