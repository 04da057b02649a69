"""A class on JupyterHub, end to end, in headless Chromium.

deploy/hub/jupyterhub_config.py runs for real on loopback: JupyterHub from PyPI,
configurable-http-proxy from the npm registry (deploy/node_modules), nbgrader's
exchange in a temporary folder, and an instructor and two students who log in with the
dummy authenticator (every server runs as this test's user). The toy chapter of the
pipeline tests keeps grading short. Playwright drives Debian's Chromium where a person
would click:

1. the instructor releases the chapter in Formgrader;
2. each student fetches it in the Assignments tab, writes an answer in the notebook
   (alice a correct one, bob a partial one) and submits;
3. the instructor collects in Formgrader, autogrades from a terminal (the course's
   sandboxed, parallel ``python -m autograder autograde``), gives bob a manual score in
   Formgrader (it sticks), makes feedback and releases it in Formgrader;
4. each student fetches the feedback in the Assignments tab and reads their per-check
   messages.

Students see no Formgrader. Skipped where Chromium, Playwright, JupyterHub or the node
tools are missing (``./course.sh test`` installs them), failed on CI instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
HUB_CONFIG = REPO / "deploy" / "hub" / "jupyterhub_config.py"
PROXY = REPO / "deploy" / "node_modules" / ".bin" / "configurable-http-proxy"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASSWORD = "course-test-password"
CHAPTER = "01_toy"
ANSWERS = {
    "alice": "def double(x):\n    return 2 * x",  # correct
    "bob": "def double(x):\n    return 4 if x == 2 else 0",  # passes the visible check only
}


def _missing():
    try:
        import jupyterhub  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return str(exc)
    if CHROMIUM is None:
        return "chromium not installed"
    if not PROXY.exists():
        return "configurable-http-proxy not installed (npm ci --prefix deploy)"
    return None


if _missing():
    if os.environ.get("CI"):
        pytest.fail(f"the hub test cannot run on CI: {_missing()}", pytrace=False)
    pytest.skip(_missing(), allow_module_level=True)

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """A running hub: (base URL, course directory, folder of the users' homes)."""
    from autograder.build import build

    root = tmp_path_factory.mktemp("hub")
    homes, exchange = root / "homes", root / "exchange"
    course_dir = homes / "instructor" / "course"  # under the instructor's home, for Formgrader
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader's exchange is writable by every user
    build(course_dir, out_dir=root / "notebooks", solutions_dir=FIXTURES / "solutions")
    port = _free_port()
    env = dict(
        os.environ,
        HUB_AUTHENTICATOR="dummy",
        HUB_DUMMY_PASSWORD=PASSWORD,
        HUB_SPAWNER="simple",
        HUB_HOMES=str(homes),
        HUB_STATE=str(root / "state"),
        HUB_PORT=str(port),
        HUB_API_PORT=str(_free_port()),
        HUB_PROXY_API_PORT=str(_free_port()),
        COURSE_DIR=str(course_dir),
        COURSE_EXCHANGE=str(exchange),
        COURSE_INSTRUCTORS="instructor",
        COURSE_STUDENTS="alice,bob",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    log = open(root / "hub.log", "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub", "-f", str(HUB_CONFIG)],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"{base}/hub/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterHub did not start:\n" + (root / "hub.log").read_text()[-3000:])
    yield base, course_dir, homes
    # SIGTERM: the hub stops the users' servers and the proxy (cleanup_servers) first
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield b
        b.close()


def _login(browser, base, user):
    """Log in on the hub's page and wait for the user's JupyterLab."""
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    page.goto(f"{base}/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=180_000)
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=180_000)
    return page


def _nbgrader_menu(page, item):
    """Nbgrader menu, then ``item``; again if a busy page let the menu close at once."""
    entry = page.locator(f".lm-Menu-itemLabel:text-is('{item}')")
    for _ in range(3):
        page.keyboard.press("Escape")
        page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
        try:
            entry.wait_for(timeout=10_000)
        except PlaywrightTimeout:
            continue
        entry.click()
        return
    raise AssertionError(f"the Nbgrader menu shows no {item!r}")


def _formgrader(page):
    """Open Formgrader from the Nbgrader menu; return its frame."""
    _nbgrader_menu(page, "Formgrader")
    frame = page.frame_locator("iframe[src*='formgrader']")
    frame.locator("tr:has-text('01_toy')").wait_for()
    return frame


def _assignment_list(page):
    _nbgrader_menu(page, "Assignment List")
    panel = page.locator(".lm-DockPanel-widget:has(#released_assignments_list)")
    panel.wait_for()
    return panel


def _autograder(*args, timeout=600):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def _write_answer(page, answer):
    """Replace the solution stub in the open notebook by typing, then save (Ctrl+S)."""
    cell = page.locator(".jp-Cell.jp-CodeCell:has-text('raise NotImplementedError()')").first
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    # typed line by line: the editor indents after "def ...:" by itself
    first, *rest = answer.split("\n")
    page.keyboard.type(first)
    for line in rest:
        page.keyboard.press("Enter")
        page.keyboard.press("Home")
        page.keyboard.press("Shift+Home")
        page.keyboard.type(line)
    page.keyboard.press("Control+S")


def test_a_class_on_jupyterhub(hub, browser, tmp_path):
    from tests.conftest import require_sandbox

    require_sandbox()
    base, course_dir, homes = hub

    # 1. the instructor releases the chapter in Formgrader
    teacher = _login(browser, base, "instructor")
    fg = _formgrader(teacher)
    row = fg.locator("tr:has-text('01_toy')")
    row.locator("td.release a").click()
    row.locator("td.status:has-text('released')").wait_for()
    teacher.screenshot(path=str(tmp_path / "1_released.png"))

    # 2. the students fetch, answer and submit in the Assignments tab
    students = {}
    for name, answer in ANSWERS.items():
        page = _login(browser, base, name)
        page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
        menu = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        assert "Assignment List" in menu and "Formgrader" not in menu  # instructor UI hidden
        page.keyboard.press("Escape")
        panel = _assignment_list(page)
        panel.locator("#released_assignments_list .list_item:has-text('01_toy') button").click()
        fetched = panel.locator(
            "#fetched_assignments_list .list_item:not(.nested_list_item):has-text('01_toy')"
        )
        fetched.wait_for()
        assert (homes / name / CHAPTER / f"{CHAPTER}.ipynb").exists()
        notebook = panel.locator("#fetched_assignments_list .nested_list_item a").first
        if not notebook.is_visible():
            fetched.locator("a").first.click()  # unfold the chapter's notebooks
        notebook.click()
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        _write_answer(page, answer)
        saved = homes / name / CHAPTER / f"{CHAPTER}.ipynb"
        deadline = time.time() + 30
        while answer.split("\n")[1].strip() not in saved.read_text() and time.time() < deadline:
            time.sleep(0.5)
        assert answer.split("\n")[1].strip() in saved.read_text(), "the answer was not saved"
        page.screenshot(path=str(tmp_path / f"2_{name}_answer.png"))
        panel = _assignment_list(page)
        panel.locator("#fetched_assignments_list button:has-text('Submit')").click()
        panel.locator("#submitted_assignments_list .list_item:has-text('01_toy')").wait_for()
        students[name] = page

    # 3. collect in Formgrader, autograde from a terminal, a manual score in Formgrader
    teacher.reload()
    teacher.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    fg = _formgrader(teacher)
    row = fg.locator("tr:has-text('01_toy')")
    row.locator("td.collect a").click()
    fg.locator("button:has-text('Close'), .modal-footer button").first.click()
    assert sorted(p.name for p in (course_dir / "submitted").iterdir()) == ["alice", "bob"]
    out = _autograder("autograde", "--course-dir", str(course_dir), "--workers", "2")
    assert "graded 2" in out or "2 graded" in out, out
    teacher.screenshot(path=str(tmp_path / "3_collected.png"))

    # a manual score in Formgrader: bob's hidden check gets 1 of its 2 points
    fg.locator("a:has-text('Manual Grading')").click()
    fg.locator("a:text-is('01_toy')").click()  # the assignment
    fg.locator("a:text-is('01_toy')").click()  # its notebook
    fg.locator("a.name-shown:text-is('bob'), a.name-shown:has-text('bob')").first.wait_for(
        state="attached"
    )
    fg.locator("tr:has(a.name-shown:has-text('bob')) a.name-hidden").click()
    score = fg.locator("input.score#double_hidden")
    score.wait_for()
    # no manual score yet; the autograded one (bob fails the hidden check) as placeholder
    fg.locator("input.score#double_hidden[placeholder]").wait_for()
    assert score.input_value() == "" and float(score.get_attribute("placeholder")) == 0
    score.fill("1")
    score.press("Enter")  # Formgrader saves the score when the field is left
    deadline = time.time() + 30
    while _manual_score(course_dir, "bob") != 1.0 and time.time() < deadline:
        time.sleep(0.5)
    assert _manual_score(course_dir, "bob") == 1.0  # in the gradebook
    fg.locator("body").evaluate("() => location.reload()")  # it sticks: the page shows it
    fg.locator("input.score#double_hidden[placeholder]").wait_for()
    assert fg.locator("input.score#double_hidden").input_value() == "1"
    teacher.screenshot(path=str(tmp_path / "3_manual_score.png"))

    # feedback made from a terminal, released in Formgrader
    _autograder("feedback", "--course-dir", str(course_dir))
    fg.locator("a:has-text('Manual Grading')").first.click()  # the breadcrumb, then the menu
    fg.locator("a:has-text('Manage Assignments')").first.click()
    fg.locator("tr:has-text('01_toy') td.release-feedback a").click()
    fg.locator(".modal-footer button").first.click()
    teacher.screenshot(path=str(tmp_path / "3_feedback_released.png"))

    # 4. each student fetches the feedback and reads their checks
    expected = {
        "alice": ["Score: 3.0 / 3.0", "double_visible", "double_hidden"],
        "bob": ["Score: 2.0 / 3.0", "double_hidden", "double(21) returned 0, expected 42"],
    }
    for name, page in students.items():
        panel = _assignment_list(page)
        panel.locator("#submitted_assignments_list button:has-text('Fetch Feedback')").click()
        panel.locator("#submitted_assignments_list a:has-text('view feedback')").first.click()
        page.locator(".jp-DirListing-item:has-text('01_toy.html')").dblclick()
        report = page.frame_locator(".jp-HTMLViewer iframe, iframe[srcdoc]").locator("body")
        report.locator("#toc").wait_for()
        text = report.inner_text()
        for phrase in expected[name]:
            assert phrase in text, f"{name}'s feedback lacks {phrase!r}:\n{text[:3000]}"
        assert "SECRET-HIDDEN-CASE" not in text  # no hidden test code in feedback
        page.screenshot(path=str(tmp_path / f"4_{name}_feedback.png"))


def _manual_score(course_dir, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}", "cnn-course") as gb:
        grade = gb.find_grade("double_hidden", CHAPTER, CHAPTER, student)
        return grade.manual_score
