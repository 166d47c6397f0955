"""Instructor-side helpers around nbgrader: what nbgrader's own commands do not do.

- ``grading.feedback``: the feedback preprocessor that keeps hidden tests hidden;
- ``grading.autograde``: autograde a class with progress per submission and a clear report of
  ungradeable ones (calls nbgrader's API per student);
- ``grading.summary``: the per-question summary (table and plot) from the gradebook;
- ``grading.collect``: collect hand-ins given as a folder of student folders;
- ``grading.synthetic``: private course copies and synthetic submissions (tests, benchmark).
"""
