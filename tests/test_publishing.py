"""The GitHub Actions workflow that publishes the book on GitHub Pages, checked offline: against
GitHub's workflow schema (vendored by check-jsonschema, pinned in requirements.txt; nothing is
downloaded), and for what it must do: build the site as `make book` does and deploy it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_workflow_matches_githubs_schema():
    run = validate(WORKFLOW)
    assert run.returncode == 0, run.stdout + run.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = yaml.safe_load(WORKFLOW.read_text())
    del broken["jobs"]["build"]["runs-on"]
    broken["jobs"]["deploy"]["needs"] = 3
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    assert validate(path).returncode != 0


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_workflow_builds_the_site_as_make_book_and_deploys_it_to_pages():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    on = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert on["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert [s["run"] for s in build["steps"] if "run" in s] == ["make book"]
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert "download.pytorch.org/whl/cpu" in build["env"]["PIP_EXTRA_INDEX_URL"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert uses(deploy) == ["actions/deploy-pages"]
    python = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"  # the README's Python
