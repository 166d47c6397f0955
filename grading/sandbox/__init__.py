"""What runs *inside* the grading sandbox, and the command that builds it.

- ``grading.sandbox.bwrap``: the bubblewrap command line (the OS's own isolation: namespaces, an
  unprivileged uid, read-only Python, no network) and the resource limits;
- ``grading.sandbox.recorder``: the only course code that enters the sandbox. It is sent into the
  student's kernel as text; it calls the student's functions on the grader's inputs and answers
  with plain data (the *record*). It never sees an expected value, a comparison or lib;
- ``grading.sandbox.blocked``: mounted over torch in the sandbox, so delegating to a framework
  fails with a clear ImportError instead of scoring.

Nothing here decides a point: that is ``grading.judge``, outside.
"""
