"""Grading: what nbgrader does not do, laid out along the trust boundary.

- ``grading.sandbox``: what runs *inside* the sandbox of a submission (the bubblewrap command,
  the recorder sent into the student's kernel, the blocker mounted over lib and torch);
- ``grading.judge``: what judges *outside* it (the kernel seen from the grader, the runner that
  executes the test cells with lib, strict decoding of records, nbgrader's ``SandboxedExecute``
  preprocessor, notes on what a submission changed);
- the instructor's commands: ``grading.autograde`` (parallel, with progress and one-line
  reasons), ``grading.collect`` (a folder of hand-ins), ``grading.summary`` (per question),
  ``grading.feedback`` (the feedback preprocessor that keeps hidden tests hidden);
- ``grading.synthetic``: private course copies and synthetic submissions (tests, benchmark).
"""
