"""The Zero to JupyterHub values (deploy/z2jh/values.yaml), checked offline: against the chart's
own JSON schema (vendored with the chart's defaults in deploy/z2jh/chart/, as helm validates
them: the defaults merged with ours), and for what the course needs of them."""
from __future__ import annotations

import asyncio
import copy
import json
import types
from pathlib import Path

import jsonschema
import pytest
import yaml

Z2JH = Path(__file__).resolve().parents[1] / "deploy" / "z2jh"


def merged(over: dict, base: dict) -> dict:
    """helm's merge of values: ``over`` onto ``base``, maps merged key by key, the rest replaced."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merged(v, out[k]) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((Z2JH / "values.yaml").read_text())


def errors(values: dict) -> list[str]:
    schema = json.loads((Z2JH / "chart" / "values.schema.json").read_text())
    defaults = yaml.safe_load((Z2JH / "chart" / "values.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.path))}: {e.message}"
            for e in validator.iter_errors(merged(values, defaults))]


def test_the_values_pass_the_charts_schema(values):
    assert errors(values) == []


def test_the_schema_check_catches_a_misspelt_setting(values):
    wrong = merged({"singleuser": {"memmory": {"limit": "2G"}}}, values)
    assert any("memmory" in e for e in errors(wrong))


def test_every_server_mounts_the_exchange_nbgrader_is_configured_with(values):
    su = values["singleuser"]
    mounts = {m["name"]: m["mountPath"] for m in su["storage"]["extraVolumeMounts"]}
    for name in ("nbgrader-student", "nbgrader-instructor"):
        config = su["extraFiles"][name]["stringData"]
        assert f'c.Exchange.root = "{mounts["exchange"]}"' in config


def test_servers_have_memory_and_cpu_limits_and_idle_ones_are_culled(values):
    su = values["singleuser"]
    assert su["memory"]["limit"] and su["cpu"]["limit"]
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0


def run_hook(values: dict, name: str, uid: int, admin: bool) -> types.SimpleNamespace:
    """The hub's extraConfig run as the hub would, then its pre-spawn hook on a stand-in spawner."""
    c = types.SimpleNamespace(KubeSpawner=types.SimpleNamespace())
    exec(compile(values["hub"]["extraConfig"]["course"], "extraConfig.course", "exec"), {"c": c})
    spawner = types.SimpleNamespace(
        user=types.SimpleNamespace(name=name, id=uid, admin=admin), environment={"SHARED": "1"},
        volumes=[], volume_mounts=[], working_dir=None, notebook_dir=None)
    asyncio.run(c.KubeSpawner.pre_spawn_hook(spawner))
    return spawner


def test_each_student_gets_a_uid_of_their_own_and_no_course_volume(values):
    a, b = (run_hook(values, n, i, admin=False) for n, i in (("ada", 1), ("bo", 2)))
    assert a.environment["NB_UID"] != b.environment["NB_UID"]
    assert int(a.environment["NB_UID"]) >= 20000
    assert a.environment["JUPYTER_CONFIG_PATH"] == "/etc/jupyter/student"
    assert a.volumes == [] and a.volume_mounts == []
    assert "NB_USER" not in a.environment  # jovyan: nbgrader's student id is JUPYTERHUB_USER


def test_the_instructor_opens_in_the_course_volume_with_the_formgrader(values):
    t = run_hook(values, "instructor", 3, admin=True)
    assert t.volumes[0]["persistentVolumeClaim"]["claimName"] == "nn-foundations-course"
    assert t.volume_mounts[0]["mountPath"] == t.working_dir == t.notebook_dir
    assert t.environment["JUPYTER_CONFIG_PATH"] == "/etc/jupyter/instructor"
    frame = values["singleuser"]["extraFiles"]["server-instructor"]["data"]
    assert frame["ServerApp"]["tornado_settings"]["headers"]["Content-Security-Policy"] == \
        "frame-ancestors 'self'"


def test_nbgrader_takes_the_student_id_from_jupyterhub_user_in_the_image(monkeypatch):
    import nbgrader.utils
    monkeypatch.setattr(nbgrader.utils, "get_osusername", lambda: "jovyan")
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    assert nbgrader.utils.get_username() == "ada"


def test_the_image_is_built_from_requirements_without_the_course_source():
    dockerfile = (Z2JH / "Dockerfile").read_text()
    assert "-r requirements.txt" in dockerfile
    copied = " ".join(line for line in dockerfile.splitlines() if line.startswith("COPY"))
    assert "requirements.txt" in copied and "solutions" not in copied
