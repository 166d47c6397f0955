"""nbgrader configuration for the course (read by every nbgrader command and by JupyterLab's
nbgrader extensions started from this folder or below it).

solutions/<assignment>/ is the source (solutions and tests), exercises/<assignment>/ the student
release; submissions go to submitted/<student>/<assignment>/ (git-ignored).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # for the grading package's preprocessor below

from grading.feedback import FeedbackExporter, HideHiddenTests, LabelledGrades  # noqa: E402
from grading.late import PercentPerDay  # noqa: E402
from grading.judge.execute import SandboxedExecute  # noqa: E402
from grading.judge.sanitize import DropEmptyMetadata, RestoreCellRoles  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbconvert.preprocessors import ClearMetadataPreprocessor  # noqa: E402
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, LimitOutput,
    OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "nn-foundations"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"

# Autograding: the student's cells run in a bubblewrap sandbox (grading/sandbox/), the test cells
# run outside it with the instructor's source and lib (grading/judge/); nbgrader keeps the rest of
# its pipeline (restoring locked cells, scores, late penalties). See grading/judge/execute.py.
c.Autograde.sanitize_preprocessors = [  # nbgrader's, with two repairs (grading/judge/sanitize.py)
    ClearOutput, DeduplicateIds, DropEmptyMetadata, OverwriteKernelspec, RestoreCellRoles,
    OverwriteCells, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
    CheckCellMetadata,
]
# A test cell deleted from a submission is put back (and graded) rather than scored as missing.
c.OverwriteCells.add_missing_cells = True
# Limits of one submission (grading/sandbox/bwrap.py has the rest): a cell that runs longer than
# this is stopped and the notebook goes on; each limit that strikes is named in the report.
c.SandboxedExecute.cell_seconds = 30
c.SandboxedExecute.notebook_seconds = 600
# Where the sandbox cannot start (no user namespaces), grading refuses; `python -m
# grading.autograde A --no-sandbox`, or this set to False, runs the code with your rights instead.
c.SandboxedExecute.sandbox = True
# Kernels nbgrader starts itself (Validate) talk over CurveZMQ-encrypted TCP; without it every
# kernel prints "running over TCP without encryption" on the terminal.
c.KernelManager.transport_encryption = "auto"

# Feedback shows each test's message but never hidden-test source (nbgrader shows it by default,
# jupyter/nbgrader#917).
# Readable offline (grading/templates/course_feedback): each graded cell named by its task, written
# answers awaiting grading shown as pending, math as MathML rather than MathJax from a CDN.
c.GenerateFeedback.preprocessors = [HideHiddenTests, LabelledGrades, CSSHTMLHeaderPreprocessor]
c.GenerateFeedback.exporter_class = FeedbackExporter
c.FeedbackExporter.template_name = "course_feedback"
c.FeedbackExporter.extra_template_basedirs = [str(ROOT / "grading" / "templates")]

# Students validate in JupyterLab: show every failing test, not only the first.
c.Validator.validate_all = True

# Late work. nbgrader compares each submission's hand-in time (timestamp.txt, written by
# `python -m grading.collect`) with the assignment's due date in the gradebook, set with
#   nbgrader db assignment add losses --duedate="2026-12-01 23:59:00 UTC"
# and takes off this share of the autograded score per started day late (grading/late.py).
# 0 marks late work late without a penalty.
c.AssignLatePenalties.plugin_class = PercentPerDay
c.PercentPerDay.percent_per_day = 10

# LMS downloads (`python -m grading.collect A download.zip`): the zone of the zip entries' times
# (zip files store local time without a zone: set the zone your LMS writes them in).
c.Collect.zip_timezone = "UTC"
# Canvas' id of each assignment, so that grades_canvas.csv updates that assignment on import
# (the number in the assignment's Canvas address); an assignment not listed gets a new column.
c.Canvas.assignment_ids = {}
