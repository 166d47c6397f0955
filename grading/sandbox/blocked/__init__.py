"""Mounted over torch (and any other framework the venv holds) inside the grading sandbox."""
raise ImportError(
    "this package is not available while your notebook is graded: implement the task with numpy")
