"""The course's late-work policy, applied by nbgrader's ``AssignLatePenalties`` at autograde.

nbgrader computes how late a submission is from its ``timestamp.txt`` (the hand-in time that
``grading.collect`` writes) and the assignment's due date in the gradebook (``nbgrader db
assignment add A --duedate="2026-12-01 23:59 UTC"``), and asks this plugin for the penalty of
each notebook. Set in ``nbgrader_config.py``::

    c.AssignLatePenalties.plugin_class = PercentPerDay
    c.PercentPerDay.percent_per_day = 10     # 0: late work is marked late but not penalised
"""
from __future__ import annotations

import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Float


class PercentPerDay(LateSubmissionPlugin):
    """penalty = score · min(1, percent_per_day/100 · ⌈seconds late / 86400⌉): a share of the
    notebook's autograded score for each started day late, up to all of it."""

    percent_per_day = Float(10.0, help="Percent of the score lost per started day late.").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        days = math.ceil(total_seconds_late / 86400)
        return score * min(1.0, self.percent_per_day / 100 * days)
