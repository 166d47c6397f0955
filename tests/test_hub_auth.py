"""The hub's authentication in production (deploy/jupyterhub_config.py: NativeAuthenticator):
students on the class list sign up and log in; anyone else waits for the instructor."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the hub creates Unix users and runs as root (CI runs as root)")


@pytest.fixture(scope="module")
def hub():
    from deploy.trial import TrialHub
    hub = TrialHub(auth="native")
    try:
        yield hub.start([hub.user("listed")])
    finally:
        hub.stop()


def test_a_student_on_the_class_list_signs_up_and_logs_in(hub):
    from deploy.trial import Browser
    b = Browser(hub.url, hub.user("listed"), "a long pass phrase", sign_up=True)
    assert b.hub_api("GET", "/user").json()["name"] == hub.user("listed")


@pytest.fixture(scope="module")
def instructor(hub):
    from deploy.trial import Browser
    return Browser(hub.url, hub.instructor, "the instructor's phrase", sign_up=True)


def test_the_instructor_signs_up_as_the_hubs_admin(instructor):
    assert instructor.hub_api("GET", "/user").json()["admin"] is True


def test_someone_not_on_the_list_logs_in_only_once_the_instructor_approves(hub, instructor):
    from deploy.trial import Browser
    name, phrase = hub.user("stranger"), "another long phrase"
    with pytest.raises(PermissionError):
        Browser(hub.url, name, phrase, sign_up=True)
    r = instructor.s.get(f"{hub.url}/hub/authorize/{name}", timeout=30)  # the approve button
    assert r.status_code == 200
    assert Browser(hub.url, name, phrase).hub_api("GET", "/user").json()["name"] == name


def test_a_short_or_common_password_is_refused(hub):
    from deploy.trial import Browser
    with pytest.raises(PermissionError):
        Browser(hub.url, hub.user("listed2"), "password", sign_up=True)
