"""JupyterHub for the CNN course: one instructor or more, a class of students, nbgrader's
exchange. See the README section "Running the course on JupyterHub".

Everything a site changes is an environment variable (defaults in brackets):

    COURSE_DIR           the instructor's nbgrader course directory [/home/instructor/course]
    COURSE_EXCHANGE      nbgrader's exchange, writable by everyone [/srv/nbgrader/exchange]
    COURSE_INSTRUCTORS   comma-separated logins that get Formgrader [instructor]
    COURSE_STUDENTS      comma-separated logins allowed in [anyone who can log in]
    HUB_IP, HUB_PORT     where the hub listens [127.0.0.1, 8000]
    HUB_API_PORT         the hub's own port on loopback, behind the proxy [8081]
    HUB_PROXY_API_PORT   the proxy's REST API port on loopback [8001]
    HUB_STATE            the hub's database, cookie secret and pid file [/srv/jupyterhub]
    HUB_AUTHENTICATOR    "pam" (the machine's accounts) or "dummy" (tests) [pam]
    HUB_DUMMY_PASSWORD   the shared password of the dummy authenticator
    HUB_SPAWNER          "localprocess" (each user's server runs as that Unix user) or
                         "simple" (every server runs as the hub's user: tests only) [localprocess]
    HUB_HOMES            home folders for the "simple" spawner [/tmp/hub-homes]

Each user's JupyterLab runs with this course's Python (the interpreter that runs the
hub) and with deploy/hub/student or deploy/hub/instructor ahead on JUPYTER_CONFIG_PATH:
nbgrader's course id and exchange for everyone; Formgrader and Create Assignment for the
instructors only.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

course_dir = os.environ.get("COURSE_DIR", "/home/instructor/course")
exchange = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
instructors = {u for u in os.environ.get("COURSE_INSTRUCTORS", "instructor").split(",") if u}
students = {u for u in os.environ.get("COURSE_STUDENTS", "").split(",") if u}
state = Path(os.environ.get("HUB_STATE", "/srv/jupyterhub"))
state.mkdir(parents=True, exist_ok=True)

c.JupyterHub.ip = os.environ.get("HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('HUB_PROXY_API_PORT', '8001')}"
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

# The proxy from the npm registry (npm ci --prefix deploy), else one on PATH.
proxy = REPO / "deploy" / "node_modules" / ".bin" / "configurable-http-proxy"
if proxy.exists():
    c.ConfigurableHTTPProxy.command = [str(proxy)]
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")

# --- who may log in
if os.environ.get("HUB_AUTHENTICATOR", "pam") == "dummy":
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["HUB_DUMMY_PASSWORD"]
else:
    c.JupyterHub.authenticator_class = "pam"
c.Authenticator.admin_users = instructors
if students:
    c.Authenticator.allowed_users = instructors | students
else:
    c.Authenticator.allow_all = True

# --- each user's JupyterLab
if os.environ.get("HUB_SPAWNER", "localprocess") == "simple":
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(
        os.environ.get("HUB_HOMES", "/tmp/hub-homes"), "{username}"
    )
else:
    c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.http_timeout = 120
c.Spawner.start_timeout = 120
if os.geteuid() == 0 and c.JupyterHub.spawner_class == "simple":
    c.Spawner.args = ["--allow-root"]  # the test's servers run as the hub's user, root on CI


def _per_user(spawner):
    """The role's Jupyter configuration, the exchange and, for instructors, the course."""
    role = "instructor" if spawner.user.name in instructors else "student"
    env = {
        "JUPYTER_CONFIG_PATH": str(HERE / role),
        "COURSE_EXCHANGE": exchange,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if role == "instructor":
        env["COURSE_DIR"] = course_dir
        env["PYTHONPATH"] = str(REPO)  # the course's nbgrader configuration and autograder
    spawner.environment.update(env)


c.Spawner.pre_spawn_hook = _per_user
