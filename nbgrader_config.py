"""nbgrader configuration for the course (read by every nbgrader command and by JupyterLab's
nbgrader extensions started from this folder or below it).

solutions/<assignment>/ is the source (solutions and tests), exercises/<assignment>/ the student
release; submissions go to submitted/<student>/<assignment>/ (git-ignored).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # for the grading package's preprocessor below

from grading.feedback import HideHiddenTests  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "nn-foundations"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"

# A cell that runs longer than this is interrupted and scores 0; the rest of the notebook goes on.
c.Execute.timeout = 30
c.Execute.interrupt_on_timeout = True
# Kernels talk to nbgrader over CurveZMQ-encrypted TCP (ipykernel's kernelspec declares support);
# without it every kernel prints "running over TCP without encryption" on the terminal.
c.KernelManager.transport_encryption = "auto"

# nbgrader scores a test cell 0 when anything reaches stderr. A warning from numpy or torch (say
# an overflow in exp for an input of 1e4) is not a wrong answer: stderr output made only of
# Python warnings (the "file:line: SomeWarning: message" line and the source line under it) is
# dropped before grading. Anything else on stderr still counts.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\A(?:[^\n]*:\d+: \w*Warning: [^\n]*\n(?:  [^\n]*\n)?)+\Z"

# Feedback shows each test's message but never hidden-test source (nbgrader shows it by default,
# jupyter/nbgrader#917).
c.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]

# Students validate in JupyterLab: show every failing test, not only the first.
c.Validator.validate_all = True

# `nbgrader zip_collect ASSIGNMENT` takes an LMS download (zip files or loose files) from
# downloaded/<assignment>/archive/ and files each notebook under submitted/<student>/<assignment>/.
# File names as LMSs such as Canvas write them: <student>_<anything>_<notebook>.ipynb, e.g.
# "doejane_12345_678901_activations.ipynb" is doejane's activations.ipynb.
NOTEBOOKS = sorted({p.stem for p in (ROOT / "solutions").glob("*/*.ipynb")})
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:[^/]*_)?(?P<file_id>(?:" + "|".join(NOTEBOOKS) + r")\.ipynb)$"
)
