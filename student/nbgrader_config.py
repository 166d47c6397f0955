"""nbgrader's configuration on a student's machine: found by `python -m selfcheck` and by the
Validate button of JupyterLab started from this folder. It holds nothing of the instructor's
(no grading code, no gradebook)."""
c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "nn-foundations"
# Validate shows every failing test, not only the first.
c.Validator.validate_all = True
# Kernels talk over CurveZMQ-encrypted TCP (no "running over TCP without encryption" warning).
c.KernelManager.transport_encryption = "auto"
