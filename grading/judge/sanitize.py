"""Two repairs nbgrader's sanitizing steps need before a hostile or clumsy notebook can be graded.

Both run in ``c.Autograde.sanitize_preprocessors`` (``nbgrader_config.py``), beside nbgrader's own:

- ``DropEmptyMetadata``, after ``DeduplicateIds``: that step keeps the last copy of a duplicated
  cell and leaves ``nbgrader: {}`` on the others, on which ``OverwriteCells`` then fails
  (``KeyError: 'grade_id'``): a copy-pasted answer cell would fail the whole notebook.
- ``RestoreCellRoles``, before ``OverwriteCells``: a cell the release made a test (or an answer)
  gets that role back from the gradebook. ``OverwriteCells`` restores a locked cell's source and
  points but not its ``grade`` flag, so a test cell marked ``grade: false`` would fail the
  notebook on a checksum instead of being graded.
"""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor


class DropEmptyMetadata(NbGraderPreprocessor):
    """Remove the empty ``nbgrader`` metadata ``DeduplicateIds`` leaves on duplicated cells."""

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int):
        if "nbgrader" in cell.metadata and not cell.metadata.nbgrader.get("grade_id"):
            del cell.metadata["nbgrader"]
        return cell, resources


class RestoreCellRoles(NbGraderPreprocessor):
    """Give every cell with a known grade id the role the release gave it (grade, solution,
    task, locked, points), from the gradebook."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                source = gb.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                return nb, resources
            grades = {c.name: c.max_score for c in source.grade_cells}
            solutions = {c.name for c in source.solution_cells}
            tasks = {c.name for c in source.task_cells}
            locked = {c.name: c.locked for c in source.source_cells}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            gid = meta.get("grade_id") if isinstance(meta, dict) else None
            if gid not in locked:
                continue
            meta.update(grade=gid in grades, solution=gid in solutions, task=gid in tasks,
                        locked=locked[gid])
            if gid in grades:
                meta["points"] = grades[gid]
            else:
                meta.pop("points", None)
        return nb, resources
