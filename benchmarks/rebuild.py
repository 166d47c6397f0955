"""How long the book takes to build, and how many pages a change in lib executes again.

    .venv/bin/python benchmarks/rebuild.py [--module lib/losses/ranking.py]

In a copy of the book and of lib/ (a temporary folder; the copy's lib is the one its pages
import), three builds with the book's own configuration (execution cache on), one after the
other:

1. cold: no ``_build`` yet, every page executed;
2. warm: nothing changed, nothing executed (a no-op rebuild);
3. after a one-line change in ``--module`` (a comment appended): only the pages that use that
   module are executed again (``book/_ext/course_build.py``).

For each it prints the wall time and the pages executed (the execution cache's records made
during that build). The machine is shared and noisy: the counts are exact, the times
are indications.
"""
from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK_FILES = ("_config.yml", "_toc.yml", "book", "lib")
IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "_build")


def copy_book(dest: Path) -> Path:
    for name in BOOK_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=IGNORE)
        else:
            shutil.copy(source, dest / name)
    return dest


def build(book: Path) -> tuple[float, list[str]]:
    """One ``jupyter-book build``; its wall time and the pages it executed."""
    env = {**os.environ, "PYTHONPATH": str(book),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = datetime.datetime.now(datetime.timezone.utc)
    start = time.perf_counter()
    run = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(book)],
                         cwd=book, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"the build failed:\n{(run.stdout + run.stderr)[-4000:]}")
    return elapsed, executed_pages(book, started)


def executed_pages(book: Path, since: datetime.datetime) -> list[str]:
    """The pages executed since ``since``: the execution cache's records made since then."""
    from jupyter_cache import get_cache

    records = get_cache(book / "_build" / ".jupyter_cache").list_cache_records()
    made = [r for r in records if r.created.replace(tzinfo=r.created.tzinfo or datetime.timezone.utc) >= since]
    return sorted("/".join(Path(r.uri).parts[-3:]) for r in made)  # book/<chapter>/<page>.ipynb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default="lib/losses/ranking.py", help="the lib file to change by one line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rebuild-") as tmp:
        book = copy_book(Path(tmp))
        rows = [("cold build", *build(book)), ("warm no-op rebuild", *build(book))]
        with open(book / args.module, "a") as module:
            module.write("# one line more\n")
        rows.append((f"after a one-line change in {args.module}", *build(book)))
        n_pages = len(list((book / "book").rglob("*.ipynb")))
        for what, seconds, pages in rows:
            print(f"{what:<50} {seconds:7.1f} s   {len(pages):3d} of {n_pages} pages executed")
        print("executed after the change:", ", ".join(rows[-1][2]) or "none")


if __name__ == "__main__":
    main()
