"""A class from the LMS back to the LMS: a Canvas "Download Submissions" zip through collect,
autograde, feedback, grades and the summary, with the course's own commands, in a private copy of
the course.

The class (Canvas names ``login[_LATE]_userid_submissionid_name[-N].ext``): ann on time with every
answer (her written answers await manual grading), ben the same but a day and a bit late, cat
who handed in a blank notebook and then resubmitted (``-1``), dan with a capitalised name and a
partial answer, eve's browser copy ``activations (1).ipynb``, fay's blank release, gus's file that
is not JSON, hal who uploaded only a PDF, a stray readme, and ivy on the roster who handed in
nothing. eve's written answer tries to put a script into her feedback through TeX.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat
import pytest
from test_grading import Submissions, nbgrader, points, run

from grading.synthetic import copy_course

ROOT = Path(__file__).resolve().parents[1]

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
ON_TIME = DUE - timedelta(hours=5)
BEN_LATE = DUE + timedelta(hours=30)  # two started days: 20 % with the course's 10 % a day
INJECTED_TEX = r"Dead units: $\text{<script>alert('eve')</script>}$ and $\sigma(z) < 1$."


def zip_time(moment: datetime) -> tuple:
    return moment.timetuple()[:6]


@pytest.fixture(scope="module")
def canvas_class(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("lms-course"), ("solutions",))
    nbgrader(course, "generate_assignment", "activations", "--force")
    nbgrader(course, "db", "assignment", "add", "activations", f"--duedate={DUE:%Y-%m-%d %H:%M:%S} UTC")
    nbgrader(course, "db", "student", "add", "ivy", "--first-name=Ivy", "--last-name=Young", "--lms-user-id=4719")
    subs = Submissions(course, "activations")
    full = nbformat.writes(subs.notebook())
    blank = nbformat.writes(subs.notebook(fill=False))
    partial = nbformat.writes(subs.notebook({"relu-answer": subs.answers["relu-answer"]}, fill=False))
    injecting = nbformat.writes(subs.notebook({"dead-relu-answer": INJECTED_TEX}))
    files = [  # (name in the zip, content, hand-in time)
        ("ann_4711_9001_activations.ipynb", full, ON_TIME),
        ("ben_LATE_4712_9002_activations.ipynb", full, BEN_LATE),
        ("cat_4713_9003_activations.ipynb", blank, ON_TIME - timedelta(hours=2)),
        ("cat_4713_9013_activations-1.ipynb", full, ON_TIME),
        ("dan_4714_9004_Activations.ipynb", partial, ON_TIME),
        ("eve_4715_9005_activations (1).ipynb", injecting, ON_TIME),
        ("fay_4716_9006_activations.ipynb", blank, ON_TIME),
        ("gus_4717_9007_activations.ipynb", '{"cells": [ not json', ON_TIME),
        ("hal_4718_9008_activations.pdf", "%PDF-1.4", ON_TIME),
        ("readme.txt", "downloaded from Canvas", ON_TIME),
    ]
    download = course / "submissions.zip"
    with zipfile.ZipFile(download, "w") as archive:
        for name, content, moment in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=zip_time(moment)), content)
    collect = run([sys.executable, "-m", "grading.collect", "activations", str(download)], course)
    snapshot = {p: p.read_bytes() for p in (course / "submitted").rglob("*") if p.is_file()}
    again = run([sys.executable, "-m", "grading.collect", "activations", str(download)], course)
    after = {p: p.read_bytes() for p in (course / "submitted").rglob("*") if p.is_file()}
    autograde = run([sys.executable, "-m", "grading.autograde", "activations", "--jobs", "2"], course)
    feedback = run([sys.executable, "-m", "grading.feedback", "activations"], course)
    grades = run([sys.executable, "-m", "grading.grades"], course)
    summary = run([sys.executable, "-m", "grading.summary", "activations"], course)
    with (course / "grades.csv").open(newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    with (course / "grades_canvas.csv").open(newline="") as f:
        canvas = list(csv.reader(f))
    return dict(course=course, subs=subs, collect=collect, again=again, unchanged=snapshot == after,
                autograde=autograde, feedback=feedback, grades=grades, summary=summary, rows=rows,
                canvas=canvas)


def test_every_file_of_the_download_is_collected_or_listed_with_its_reason(canvas_class):
    collect = canvas_class["collect"]
    assert collect.returncode == 1, "a file was left out: the exit status says so"
    out = collect.stdout
    assert "left out  hal_4718_9008_activations.pdf — not a notebook (.pdf)" in out
    assert "left out  readme.txt — name not in Canvas' form" in out
    assert "superseded  cat: cat_4713_9003_activations.ipynb — a newer hand-in: cat_4713_9013_activations-1.ipynb" in out
    submitted = canvas_class["course"] / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["ann", "ben", "cat", "dan", "eve", "fay", "gus"]
    assert all((submitted / s / "activations" / "activations.ipynb").is_file() for s in ("dan", "eve"))


def test_the_newest_resubmission_wins(canvas_class):
    nb = nbformat.read(canvas_class["course"] / "submitted" / "cat" / "activations" / "activations.ipynb", 4)
    assert nb.cells == canvas_class["subs"].notebook().cells


def test_collecting_the_same_download_again_changes_nothing(canvas_class):
    assert canvas_class["unchanged"]
    assert canvas_class["again"].stdout.count(" unchanged  ") == 7


def test_the_hand_in_time_becomes_nbgraders_timestamp_and_late_work_is_penalised(canvas_class):
    stamp = (canvas_class["course"] / "submitted" / "ben" / "activations" / "timestamp.txt").read_text()
    assert datetime.fromisoformat(stamp) == BEN_LATE
    assert "ben: ben_LATE_4712_9002_activations.ipynb — LATE by 30.0 h" in canvas_class["collect"].stdout
    ann, ben = canvas_class["rows"]["ann"], canvas_class["rows"]["ben"]
    assert float(ann["late_penalty"]) == 0 and float(ann["seconds_late"]) == 0
    assert float(ben["seconds_late"]) == 30 * 3600
    assert float(ben["late_penalty"]) == pytest.approx(0.2 * float(ben["auto_points"]))


def test_written_answers_awaiting_grading_read_as_pending_never_as_zero(canvas_class):
    ann = canvas_class["rows"]["ann"]
    release = canvas_class["subs"].release
    written = sum(c.metadata["nbgrader"]["points"] for c in release.cells
                  if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade"))
    assert ann["status"] == "pending manual grading" and ann["total"] == "" and ann["manual_points"] == ""
    assert float(ann["manual_pending"]) == written
    assert float(ann["auto_points"]) == points(release)
    html = (canvas_class["course"] / "feedback" / "ann" / "activations" / "activations.html").read_text()
    assert f"{written:g} points pending manual grading" in html.replace(".0 points", " points")
    assert "pending: 4.0 points, to be graded by your instructor" in html
    assert "pending" in canvas_class["summary"].stdout


def test_every_student_of_the_roster_has_a_grade_or_the_reason(canvas_class):
    rows = canvas_class["rows"]
    assert sorted(rows) == ["ann", "ben", "cat", "dan", "eve", "fay", "gus", "ivy"]
    assert rows["ivy"]["status"] == "no submission"
    assert "activations.ipynb is not a valid notebook" in rows["gus"]["status"]
    assert rows["fay"]["status"] == "graded" and float(rows["fay"]["total"]) == 0
    assert "not graded (2)" in canvas_class["summary"].stdout
    assert "gus: activations.ipynb is not a valid notebook" in canvas_class["summary"].stdout


def test_grades_canvas_csv_is_in_canvas_import_format_with_the_canvas_ids(canvas_class):
    header, possible, *students = canvas_class["canvas"]
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "activations"]
    assert possible[0] == "Points Possible" and float(possible[5]) > 0
    by_id = {line[1]: line for line in students}
    assert set(by_id) == {str(i) for i in range(4711, 4720) if i != 4718}
    assert by_id["4719"][0] == "Young, Ivy" and by_id["4719"][5] == ""  # no submission: blank
    assert by_id["4711"][5] == ""  # pending manual grading: blank, not 0
    assert by_id["4716"][5] == "0.0"  # fay's blank notebook: a real 0


def test_feedback_is_readable_offline_and_names_each_test_by_its_task(canvas_class):
    html = (canvas_class["course"] / "feedback" / "dan" / "activations" / "activations.html").read_text()
    assert "<math" in html
    assert not re.search(r"<script|(src|href)=\"https?:", html), "the page loads nothing from the network"
    assert "$" not in html.split("<body>")[1].replace("$$", "")  # no raw TeX left
    assert "Task 3: ReLU and its derivative (4 points) — tests</a>" in html
    assert ">Test cell<" not in html


def test_collect_autograde_and_feedback_print_only_progress_and_results(canvas_class):
    for step in ("collect", "autograde", "feedback", "grades"):
        result = canvas_class[step]
        noise = [line for line in (result.stdout + result.stderr).splitlines()
                 if any(w in line for w in ("WARNING", "INFO", "Traceback", "without encryption",
                                            "not recognized"))]
        assert not noise, f"{step} printed: {noise}"
    assert len(canvas_class["feedback"].stdout.strip().splitlines()) == 7  # a line per student + total


@pytest.mark.parametrize("command", [
    ["-m", "grading.collect", "activatoins", "x.zip"],
    ["-m", "grading.feedback", "activatoins"],
    ["-m", "grading.summary", "activatoins"],
])
def test_a_mistyped_assignment_lists_the_assignments_in_one_line(canvas_class, command):
    result = run([sys.executable, *command], canvas_class["course"])
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "unknown assignment 'activatoins': the assignments are activations, backprop, losses, optimization"


def test_a_folder_of_student_folders_is_still_collected(canvas_class, tmp_path):
    course = canvas_class["course"]
    handins = tmp_path / "handins"
    (handins / "zed" / "activations").mkdir(parents=True)
    (handins / "zed" / "activations" / "activations.ipynb").write_text(nbformat.writes(canvas_class["subs"].release))
    result = run([sys.executable, "-m", "grading.collect", "activations", str(handins)], course)
    assert result.returncode == 0, result.stdout
    assert (course / "submitted" / "zed" / "activations" / "activations.ipynb").is_file()


def test_a_course_whose_config_fails_to_load_is_never_graded_with_nbgraders_defaults(tmp_path):
    """nbgrader's own commands go on with nbgrader's defaults when nbgrader_config.py raises (no
    sandbox, hidden tests shown in feedback): the course's commands refuse in one line, and the
    Makefile makes nbgrader's stop."""
    import os

    course = copy_course(tmp_path / "broken", ("solutions",))
    with (course / "nbgrader_config.py").open("a") as f:
        f.write("\nimport a_module_this_machine_lacks\n")
    for command in (["-m", "grading.autograde", "activations"], ["-m", "grading.feedback", "activations"],
                    ["-m", "grading.grades"]):
        result = run([sys.executable, *command], course)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        assert "nbgrader_config.py could not be loaded (ModuleNotFoundError" in result.stderr
    env = {**os.environ, "TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR": "1"}
    nbgrader_cmd = str(Path(sys.executable).parent / "nbgrader")
    result = subprocess.run([nbgrader_cmd, "generate_assignment", "activations", "--force"], cwd=course,
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and not (course / "exercises").exists()
    makefile = (ROOT / "Makefile").read_text()
    exported = re.search(r"^([\w -]+): \\\n\texport TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR := 1", makefile, re.M)
    assert exported and {"autograde", "feedback", "release", "collect"} <= set(exported.group(1).split())


def test_tex_in_a_written_answer_never_becomes_html_in_the_feedback(canvas_class):
    html = (canvas_class["course"] / "feedback" / "eve" / "activations" / "activations.html").read_text()
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as written, escaped
    assert "<math" in html.split("Dead units:")[1][:600]  # the harmless formula still rendered


def test_links_in_a_handin_folder_are_listed_never_followed(tmp_path):
    """A shared hand-in folder where a student left links: to another student's notebook (it
    would be graded and its feedback sent as theirs), to a folder, to a file of the machine. The
    old collect followed them all."""
    import os

    course = copy_course(tmp_path / "course", ("solutions", "exercises"))
    handins = tmp_path / "handins"
    release = (course / "exercises" / "activations" / "activations.ipynb").read_text()
    (handins / "victim").mkdir(parents=True)
    (handins / "victim" / "activations.ipynb").write_text(release)
    (handins / "mal").mkdir()
    os.symlink("../victim/activations.ipynb", handins / "mal" / "activations.ipynb")
    os.symlink("victim", handins / "mal2")
    (handins / "mal3").mkdir()
    os.symlink("/etc/passwd", handins / "mal3" / "activations.ipynb")
    result = run([sys.executable, "-m", "grading.collect", "activations", str(handins)], course)
    assert result.returncode == 1
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["victim"]
    for name in ("mal/activations.ipynb", "mal2", "mal3/activations.ipynb"):
        assert f"left out  {name} — a link or special file, not a file" in result.stdout, result.stdout


def test_a_zip_entry_outside_its_folder_or_too_large_is_left_out(tmp_path):
    course = copy_course(tmp_path / "course", ("solutions", "exercises"))
    release = (course / "exercises" / "activations" / "activations.ipynb").read_text()
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../escaper_1_2_activations.ipynb", release)
        archive.writestr("huge_3_4_activations.ipynb", b"0" * (51 * 2**20))
        archive.writestr("fine_5_6_activations.ipynb", release)
    result = run([sys.executable, "-m", "grading.collect", "activations", str(download)], course)
    assert result.returncode == 1
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["fine"]
    assert "left out  huge_3_4_activations.ipynb — larger than 50 MB" in result.stdout
    assert "left out  ../../escaper_1_2_activations.ipynb — not in <student>/activations/" in result.stdout
    assert not (tmp_path / "escaper").exists() and not (course.parent / "escaper").exists()


def test_once_written_answers_are_graded_the_total_and_canvas_grade_appear(canvas_class):
    """The formgrader's work, done here through nbgrader's gradebook API: ann's written answers
    get 2 points each; her row becomes graded and her Canvas cell is filled."""
    from nbgrader.api import Gradebook

    course = canvas_class["course"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for notebook in gb.find_submission("activations", "ann").notebooks:
            for grade in notebook.grades:
                if grade.auto_score is None and grade.manual_score is None:
                    grade.manual_score = 2.0
        gb.db.commit()
    assert run([sys.executable, "-m", "grading.grades"], course).returncode == 0
    with (course / "grades.csv").open(newline="") as f:
        ann = next(r for r in csv.DictReader(f) if r["student"] == "ann")
    assert ann["status"] == "graded" and float(ann["manual_pending"]) == 0
    assert float(ann["manual_points"]) == 6.0  # three written answers
    assert float(ann["total"]) == float(ann["auto_points"]) + 6.0
    canvas = {line[1]: line for line in csv.reader((course / "grades_canvas.csv").read_text().splitlines())}
    assert float(canvas["4711"][5]) == float(ann["total"])
