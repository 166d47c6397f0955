"""The course's JupyterHub on one machine, in the shape of The Littlest JupyterHub.

    sudo make hub        # = jupyterhub -f deploy/jupyterhub_config.py, settings from COURSE_HUB_*

- JupyterHub (PyPI, pinned in requirements.txt) behind configurable-http-proxy (npm, pinned in
  package.json), on 127.0.0.1 unless COURSE_HUB_IP says otherwise (put TLS in front of it).
- One real Unix user per hub user, its server run with its uid (deploy/spawner.py); the course's
  Python environment (.venv, root's) is shared read-only.
- nbgrader's exchange in COURSE_HUB_DIR/exchange; the instructor is the hub's admin, with the
  formgrader in JupyterLab (deploy/setup.py).
- Memory, CPU and process limits per server by control groups (deploy/cgroups.py); idle servers
  culled by jupyterhub-idle-culler.
- Authentication: JupyterHub's NativeAuthenticator (students sign up with the id on the class
  list, students.txt, and choose a password; the instructor approves anyone else at
  /hub/authorize). The dummy authenticator exists for the tests only.
"""
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from deploy import setup  # noqa: E402
from deploy.spawner import CourseSpawner  # noqa: E402

# A hub started in the background by a script inherits SIGINT ignored, and so would every server
# and service it starts; JupyterHub stops them with SIGINT and would wait its 30 s interrupt
# timeout for each. Its children get SIGINT's default action back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

s = setup.Settings.from_env()
setup.prepare(s)
state = s.dir / "state"
c = get_config()  # noqa: F821

# The proxy faces users; the hub and the proxy's API listen on loopback only.
c.JupyterHub.ip = s.ip
c.JupyterHub.port = s.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s.port + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.port + 2}"
c.ConfigurableHTTPProxy.command = [str(REPO / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

# Users and their servers.
c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.cmd = [str(Path(sys.prefix) / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.mem_limit = s.mem_limit
c.Spawner.cpu_limit = s.cpu_limit
c.Spawner.start_timeout = 300  # a class starting at once on 2 cores: p95 73 s measured
c.Spawner.http_timeout = 300
c.CourseSpawner.cgroup_parent = s.cgroup
c.CourseSpawner.student_config = str(s.config("student"))
c.CourseSpawner.instructor_config = str(s.config("instructor"))
c.CourseSpawner.course_dir = str(s.course)

# Authentication.
c.Authenticator.admin_users = {s.instructor}
c.Authenticator.allowed_users = s.students
if s.auth == "native":
    import nativeauthenticator

    from deploy.auth import CourseAuthenticator

    c.JupyterHub.authenticator_class = CourseAuthenticator  # NativeAuthenticator, repaired
    c.JupyterHub.template_paths = [str(Path(nativeauthenticator.__file__).parent / "templates")]
    c.NativeAuthenticator.open_signup = False  # only the class list signs up unapproved
    # who may log in is NativeAuthenticator's "authorized" flag (the class list, the instructor,
    # and whoever the instructor approves at /hub/authorize), not a second list of JupyterHub's
    c.Authenticator.allow_all = True
    c.NativeAuthenticator.minimum_password_length = 10
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = 5
    c.NativeAuthenticator.seconds_before_next_try = 600
else:  # tests only: every listed user logs in with the password the test set
    import os

    if s.ip != "127.0.0.1" or not os.environ.get("COURSE_HUB_DUMMY_PASSWORD"):
        raise SystemExit("COURSE_HUB_AUTH=dummy is for tests: on 127.0.0.1 only, with "
                         "COURSE_HUB_DUMMY_PASSWORD set")
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["COURSE_HUB_DUMMY_PASSWORD"]

# Idle servers stopped after COURSE_HUB_CULL_TIMEOUT seconds without activity.
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={s.cull_timeout}", f"--cull-every={max(10, s.cull_timeout // 6)}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
