"""Integrity report: how much of each submission's answer code is also in another's, or in lib.

    python -m grading.similarity ASSIGNMENT [--threshold T] [--out DIR]

The answer cells (nbgrader ``solution`` cells) of every submission
``submitted/<student>/<ASSIGNMENT>/*.ipynb`` are gathered into one file per student, without the
lines the release put in them (signatures, docstrings, the ``# YOUR CODE HERE`` stubs), so blank
or half-done submissions do not resemble each other. Every pair of students is compared, and
every student against the source of ``lib`` (all its ``.py`` files, found by a glob: the book
shows them, so code pasted from the book matches them).

The comparison is copydetect's (the winnowing algorithm of MOSS): code is tokenized, names become
one letter and comments disappear, so renaming variables or rewording comments does not hide a
copy. A pair's similarity, each way, is the fraction of one student's answer code that is also in
the other's. Pairs where either fraction exceeds the threshold (a student against lib: the
student's fraction) are written to ``<out>/<ASSIGNMENT>.html`` (copydetect's report, the matched
code side by side; self-contained, it loads nothing from the network) and
``<out>/<ASSIGNMENT>.csv`` (the pair, both fractions, the answer cells and lib functions
involved), and printed. The written answers (markdown ``solution`` cells) are compared the same
way, as text (lower case, whitespace collapsed), pairwise only: ``<out>/<ASSIGNMENT>-written.html``
and the rows of kind "written" in the CSV. Similar answers are a reason to read two submissions,
not proof of anything: nothing here changes a grade.
"""
from __future__ import annotations

import argparse
import ast
import csv
import importlib.util
import logging
import re
import sys
import tempfile
import textwrap
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import nbformat
import numpy as np

from grading.course import api as course_api, assignment_notebooks, students_with

# copydetect's settings, in characters of *tokenized* code (a name is one letter, whitespace and
# comments are gone): an answer cell here is a few short numpy lines, shorter than the programs
# copydetect's defaults (25) are made for. A match must be NOISE characters long to count.
# copydetect's guarantee threshold is set to the noise threshold, which makes winnowing's window 1:
# every k-gram is a fingerprint. That costs nothing on files this small and makes the report
# reproducible: with a larger window the fingerprints kept depend on Python's hash(), which is
# salted anew in every process.
# Measured on the four assignments (model answer vs the independent implementations of
# tests/implementations): honest pairs share 10-23 %, a copy with every name renamed and new
# comments 100 %, the model answers and lib (which they resemble) 10-29 %.
NOISE = 20
# Written answers are compared as plain text (no tokens): a match must be a run of NOISE_TEXT
# characters, six or seven words ("the gradient of the loss with respect to" is 40). Longer runs
# are beaten by changing a word every other line: a model answer with five words changed still
# shares 74 % at 40, only 50 % at 60; an independently written answer to the same question
# shares less than MIN_SHARED runs.
NOISE_TEXT = 40
THRESHOLD = 0.4  # default: flag a pair when more than 40 % of one side's answer code is shared
# ... and at least two matches' worth is shared (MIN_SHARED x the noise threshold): one short
# idiom that two students (or a student and lib) both write, `np.where(z > 0, z, alpha * z)`,
# is not a reason to look.
MIN_SHARED = 2
LIB = "lib"  # what the CSV calls the reference
DEF = ("def ", "async def ")


@dataclass(frozen=True)
class Kind:
    """What is compared: the code answer cells (tokenized, and against lib too) or the written
    answers (markdown cells, as text, pairwise only)."""
    name: str
    cell_type: str
    noise: int  # copydetect's noise threshold (= guarantee threshold: window 1)
    tokenize: bool
    suffix: str  # of the HTML report's name, after the assignment's


CODE = Kind("code", "code", NOISE, True, "")
WRITTEN = Kind("written", "markdown", NOISE_TEXT, False, "-written")
KINDS = (CODE, WRITTEN)


@dataclass
class Answers:
    """The answers of one kind of one submission (or lib's source), as the text of one file for
    copydetect, and its named parts: the answer cells (lib: its functions and methods)."""
    owner: str
    kind: Kind = CODE
    text: str = ""
    parts: list[tuple[str, str]] = field(default_factory=list)  # (name, code)
    min_shared: int = 1  # fingerprints a part must share, besides half its length, to be named

    def add(self, name: str, code: str, part: bool = True) -> None:
        self.text += f"{'#' if self.kind.tokenize else '=='} ---- {name}\n{code.rstrip()}\n\n"
        if part:
            self.parts.append((name, code))

    def shared_parts(self, shared: set) -> list[str]:
        """The parts that hold the match: at least half of a part is covered by fingerprints
        among ``shared`` (copydetect's measure of a file, applied to the part), and at least
        ``min_shared`` of its fingerprints are."""
        named, shared = [], np.fromiter(shared, dtype=np.int64, count=len(shared))
        for name, code in self.parts:
            prints = kgrams(code, self.kind)
            hits = np.flatnonzero(np.isin(prints, shared))
            covered = np.zeros(len(prints) + self.kind.noise - 1, dtype=bool)
            for start in hits:
                covered[start:start + self.kind.noise] = True
            if len(hits) >= self.min_shared and covered.mean() >= 0.5:
                named.append(name)
        return named


@lru_cache(maxsize=None)
def kgrams(code: str, kind: Kind) -> np.ndarray:
    """The fingerprints copydetect takes of ``code``, in order (window 1: the hashes of all its
    k-grams, k = the kind's noise threshold, of the tokenized code or of the text)."""
    from copydetect.utils import filter_code, hashed_kgrams

    text = filter_code(code, "part.py", "python")[0] if kind.tokenize else code
    return hashed_kgrams(text, kind.noise).astype(np.int64)


def answer_cells(nb: nbformat.NotebookNode, kind: Kind) -> dict[str, nbformat.NotebookNode]:
    """grade_id -> the answer cells (nbgrader ``solution`` cells) of a notebook, of one kind."""
    return {c.metadata["nbgrader"].get("grade_id", str(i)): c for i, c in enumerate(nb.cells)
            if c.cell_type == kind.cell_type and c.metadata.get("nbgrader", {}).get("solution")}


def release_cells(release_dir: Path, notebooks: list[str], kind: Kind) -> dict[str, dict[str, str]]:
    """notebook -> grade_id -> the source of each answer cell of ``kind`` as released to students."""
    return {name: {gid: c.source
                   for gid, c in answer_cells(nbformat.read(release_dir / f"{name}.ipynb", 4), kind).items()}
            for name in notebooks}


def submission_answers(student: str, folder: Path, released: dict[str, dict[str, str]],
                       kind: Kind = CODE) -> Answers:
    """The answer cells of one kind of one student's notebooks that differ from the release."""
    answers = Answers(student, kind)
    several = len(released) > 1
    for notebook, stubs in released.items():
        path = folder / f"{notebook}.ipynb"
        if not path.exists():
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # not a notebook (autograde reports it); nothing to compare
            continue
        for gid, cell in answer_cells(nb, kind).items():
            released = stubs.get(gid, "")
            if cell.source.strip() == released.strip():
                continue
            if kind.tokenize:
                own = own_lines(cell.source, released)
                if not any(line.strip() and not line.lstrip().startswith("#") for line in own.splitlines()):
                    continue
            else:
                own = prose(cell.source, released)
                if not own:
                    continue
            answers.add(f"{notebook}:{gid}" if several else gid, own)
    return answers


def prose(source: str, released: str) -> str:
    """A written answer as compared: without the release's lines (``YOUR ANSWER HERE``), in lower
    case, every run of whitespace one space, wrapped at 80 columns for the report (the wrapping
    adds no character: a line break replaces a space)."""
    given = {line.strip() for line in released.splitlines() if line.strip()}
    words = " ".join(line for line in source.splitlines() if line.strip() not in given).lower().split()
    return textwrap.fill(" ".join(words), 80, break_long_words=False, break_on_hyphens=False)


def own_lines(source: str, released: str = "") -> str:
    """An answer cell without the lines the release put there (signatures, docstrings, the
    ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` stubs): every student has those, so
    they say nothing about who wrote what, and once names are letters a signature followed by the
    usual first line (`z = np.asarray(z, dtype=float)`) is already a match of NOISE characters.
    Every ``def`` line becomes a comment (kept for the reader of the report, ignored by the
    comparison): the task fixes the signatures, and a copier who renames a parameter would
    otherwise keep lines that only one side of the pair has; lib's source is treated alike.
    (copydetect's own boilerplate option is not used: in 0.5.0 it assumes a file's fingerprints
    are unique, which they are not with a window of 1, and then also deletes fingerprints of code
    that occurs twice.)"""
    given = {line.strip() for line in released.splitlines()
             if line.strip() and not line.lstrip().startswith(DEF)}
    return "\n".join(re.sub(r"^(\s*)", r"\1# ", line) if line.lstrip().startswith(DEF) else line
                     for line in source.splitlines() if line.strip() not in given)


def lib_reference(package: Path) -> Answers:
    """Every ``.py`` file of the lib package, one after another; its parts are the functions and
    the methods (``lib/losses.py:mse``, ``lib/optim.py:Adam.step``), so a match names them."""
    # lib has many short functions of one shape once names are letters (`z, dtype = _prepare(z)`,
    # `return _finish(np.tanh(z), dtype)`): one pasted would name them all, so a lib function is
    # named only for a match of at least NOISE / 2 fingerprints (a function of three such lines).
    ref = Answers(LIB, min_shared=NOISE // 2)
    for path in sorted(package.rglob("*.py")):
        name = f"{LIB}/{path.relative_to(package).as_posix()}"
        source = path.read_text(encoding="utf-8")
        ref.add(name, own_lines(source), part=False)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        lines = source.splitlines()
        for node in tree.body:
            methods = node.body if isinstance(node, ast.ClassDef) else [node]
            for d in methods:
                if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    qualified = f"{node.name}.{d.name}" if d is not node else d.name
                    code = own_lines("\n".join(lines[d.lineno - 1:d.end_lineno]))
                    ref.parts.append((f"{name}:{qualified}", code))
    return ref


def lib_package() -> Path:
    """The folder of the ``lib`` package Python imports here (the course's own, installed)."""
    spec = importlib.util.find_spec(LIB)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cannot find the lib package: run `make env` first")
    return Path(list(spec.submodule_search_locations)[0])


@dataclass
class Pair:
    kind: str  # "code" or "written"
    a: str
    b: str  # a student, or LIB
    similarity_a: float  # fraction of a's answer code found in b
    similarity_b: float  # fraction of b's code found in a (tiny for lib: it is long)
    shared: int  # length of what is shared: tokens of code, characters of text
    cells_a: list[str]  # the answer cells the match is made of (lib: its functions)
    cells_b: list[str]

    def row(self) -> dict:
        return dict(zip(COLUMNS, (self.kind, self.a, self.b, round(self.similarity_a, 3),
                                  round(self.similarity_b, 3), self.shared,
                                  " ".join(self.cells_a), " ".join(self.cells_b))))


COLUMNS = ("kind", "student_a", "student_b", "similarity_a", "similarity_b", "shared",
           "cells_a", "cells_b")


@contextmanager
def quiet():
    """copydetect without its chatter: it logs warnings through the root logger (a file it does
    not tokenize, say), and 0.5.0 reads its report template with importlib.resources.open_text,
    deprecated since Python 3.11."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "open_text is deprecated", DeprecationWarning)
            yield
    finally:
        root.setLevel(level)


def _detector_class():
    import matplotlib
    matplotlib.use("Agg")  # copydetect draws its report's plots with pyplot
    from copydetect import CopyDetector

    class Detector(CopyDetector):
        """copydetect's detector whose report shows exactly the pairs flagged here (copydetect's
        own cut is the similarity alone; ours also asks for MIN_SHARED matches' length)."""
        flagged: set

        def get_copied_code_list(self):
            return [c for c in super().get_copied_code_list() if frozenset(c[2:4]) in self.flagged]

    return Detector


def detect(students: list[Answers], reference: Answers | None, work: Path,
           threshold: float) -> tuple[object, list[Pair]]:
    """Run copydetect on the students' files (each against every other and the reference, if
    any). Returns the detector (for its report) and the pairs above ``threshold``."""
    kind = students[0].kind
    extension = ".py" if kind.tokenize else ".txt"
    files = {}
    for answers, folder in [(s, "students") for s in students] + [(reference, "reference")] * bool(reference):
        path = work / kind.name / folder / f"{answers.owner}{extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(answers.text, encoding="utf-8")
        files[str(path)] = answers
    detector = _detector_class()(
        noise_t=kind.noise, guarantee_t=kind.noise, display_t=threshold, autoopen=False, silent=True,
        truncate=True, disable_filtering=not kind.tokenize,
        force_language="python" if kind.tokenize else None, out_file=str(work / "report.html"))
    detector.flagged = set()
    for path, answers in files.items():
        detector.add_file(path, type="ref" if answers is reference else "testref")
    with quiet():
        detector.run()

    pairs = []
    for i, test in enumerate(detector.test_files):
        for j, ref in enumerate(detector.ref_files):
            a, b = files[test], files[ref]
            if a is b or (b is not reference and a.owner > b.owner):
                continue  # each pair of students once
            sim_a, sim_b = (float(x) for x in detector.similarity_matrix[i, j])
            length = int(detector.token_overlap_matrix[i, j])
            above = max(sim_a, sim_b if b is not reference else 0.0) > threshold
            if not above or length < MIN_SHARED * kind.noise:
                continue
            detector.flagged.add(frozenset((test, ref)))
            shared = detector.file_data[test].hashes & detector.file_data[ref].hashes
            pairs.append(Pair(kind.name, a.owner, b.owner, sim_a, sim_b, length,
                              a.shared_parts(shared), b.shared_parts(shared)))
    pairs.sort(key=lambda p: (-max(p.similarity_a, p.similarity_b if p.b != LIB else 0), p.a, p.b))
    return detector, pairs


# copydetect's report template styles itself with Bootstrap from a CDN and hides each pair's code
# behind Bootstrap's collapse buttons: offline, the page would have no styles and the buttons
# would do nothing. So the two CDN tags are replaced by these few rules (no library to vendor for
# a dozen lines), and each pair's matched code is shown at once.
OFFLINE_STYLE = """<style>
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 1em; }
  .row, .d-flex { display: flex; gap: 1em; flex-wrap: wrap; } .col, .col3 { flex: 1; }
  .collapse { display: block; } button[data-bs-toggle] { display: none; }
  table { border-collapse: collapse; width: 100%; } td { border-top: 1px solid #ccc; padding: .5em; }
  pre { background: #f8f8f8; padding: .5em; white-space: pre-wrap; } img { max-width: 100%; }
</style>"""
CDN_TAG = re.compile(r'<link[^>]*href="https?://[^"]*"[^>]*>|<script[^>]*src="https?://[^"]*"[^>]*></script>')


def html_report(detector, work: Path, assignment: str, kind: Kind, threshold: float) -> str:
    """copydetect's report, made to work offline, with the temporary paths shortened."""
    with quiet():
        html = detector.generate_html_report(output_mode="return")
    html = CDN_TAG.sub("", html).replace("</head>", OFFLINE_STYLE + "\n</head>", 1)
    html = html.replace(f"{work / kind.name}/", "").replace(f"{work}/", "").replace(
        "<title>Copy Detection Report</title>", f"<title>Similarity: {assignment}, {kind.name}</title>")
    compared = ("code answer cells compared pairwise and with lib's source" if kind.tokenize
                else "written answers compared pairwise, as text")
    note = (f"<p><b>{assignment}</b>: {compared}; the pairs where more than {threshold:.0%} of one "
            f"side is shared. No automatic penalty: similar answers are a reason to read both "
            f"submissions, not proof of copying.</p>")
    return html.replace('<h2>Overview</h2>', note + "\n  <h2>Overview</h2>", 1)


def report(students: list[Answers], reference: Answers | None, path: Path, assignment: str,
           threshold: float) -> list[Pair]:
    """The flagged pairs of one kind of answers, and their HTML report written to ``path``."""
    if not students:
        path.write_text(f"<!DOCTYPE html><html><body><p>{assignment}: no submission has an answer "
                        f"of this kind filled in; nothing to compare.</p></body></html>")
        return []
    with tempfile.TemporaryDirectory(prefix="similarity-") as tmp:
        work = Path(tmp)
        detector, pairs = detect(students, reference, work, threshold)
        path.write_text(html_report(detector, work, assignment, students[0].kind, threshold),
                        encoding="utf-8")
    return pairs


def similarity(assignment: str, threshold: float = THRESHOLD, out_dir: Path | None = None,
               course_dir: Path | None = None, out=sys.stdout) -> list[Pair]:
    """Compare the answer cells of every submission of ``assignment``; write the HTML and CSV
    reports into ``out_dir`` (default ``similarity/`` in the course) and print the flagged pairs."""
    api = course_api(course_dir)
    root = Path(api.coursedir.root)
    notebooks = [p.stem for p in assignment_notebooks(assignment, api.config)]
    if not 0 < threshold < 1:
        raise SystemExit(f"the threshold is a fraction of the answer code: between 0 and 1, got {threshold}")
    submitted = root / api.coursedir.submitted_directory
    folders = [submitted / student / assignment for student in students_with(submitted, assignment)]
    if not folders:
        raise SystemExit(f"no submissions of {assignment!r} under {submitted}/<student>/{assignment}/: "
                         f"collect them first (make collect)")
    release = root / api.coursedir.release_directory / assignment
    if not all((release / f"{name}.ipynb").exists() for name in notebooks):
        raise SystemExit(f"no release of {assignment!r} in {release}: run `make release` first "
                         f"(its answer cells are what every student starts from)")

    out_dir = Path(out_dir) if out_dir is not None else root / "similarity"
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{assignment}.csv"
    pairs: list[Pair] = []
    answered: set[str] = set()
    for kind in KINDS:
        released = release_cells(release, notebooks, kind)
        students = [a for f in folders if (a := submission_answers(f.parent.name, f, released, kind)).parts]
        answered |= {a.owner for a in students}
        reference = lib_reference(lib_package()) if kind is CODE and students else None
        html_path = out_dir / f"{assignment}{kind.suffix}.html"
        pairs += report(students, reference, html_path, assignment, threshold)
    with csv_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(p.row() for p in pairs)
    print_table(pairs, assignment, len(folders), len(folders) - len(answered), threshold, out)
    htmls = " and ".join(str(out_dir / f"{assignment}{k.suffix}.html") for k in KINDS)
    print(f"written: {htmls}, {csv_path}", file=out)
    print("no automatic penalty: read the report (the matched answers side by side) before "
          "concluding anything", file=out)
    return pairs


def print_table(pairs: list[Pair], assignment: str, submissions: int, blank: int, threshold: float,
                out) -> None:
    blank_note = f" ({blank} with no answer filled in, or unreadable)" if blank else ""
    print(f"{assignment}: {submissions} submissions{blank_note}; code answers compared pairwise and "
          f"against lib, written answers pairwise; {len(pairs)} pairs above {threshold:.0%} shared",
          file=out)
    if not pairs:
        return
    width = max(len(p.a) for p in pairs) + max(len(p.b) for p in pairs) + 3
    print(f"{'kind':<7} {'pair':<{width}} {'a in b':>6} {'b in a':>6}  cells", file=out)
    for p in pairs:
        b_in_a = "" if p.b == LIB else f"{p.similarity_b:.0%}"
        cells = ", ".join(p.cells_a) + (f"  ~  {', '.join(p.cells_b)}" if p.cells_b else "")
        print(f"{p.kind:<7} {p.a + ' ~ ' + p.b:<{width}} {p.similarity_a:>6.0%} {b_in_a:>6}  {cells}",
              file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help=f"flag a pair when more than this fraction of one side's answer code "
                             f"is shared (default {THRESHOLD})")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the HTML and CSV reports (default: similarity/)")
    args = parser.parse_args(argv)
    similarity(args.assignment, args.threshold, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
