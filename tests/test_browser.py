"""JupyterLab in a real browser: a chapter opens, and the kernel playground works.

Starts a real JupyterLab server on loopback and drives Debian's Chromium with
Playwright. Skipped cleanly where Chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from autograder.course import NOTEBOOKS, REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed")
if CHROMIUM is None:
    pytest.skip("chromium not installed", allow_module_level=True)

TOKEN = "course-test-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copy2(NOTEBOOKS / "01_convolution.ipynb", root / "01_convolution.ipynb")
    playground = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import numpy as np\n"
                "from cnnkit.images import step_image\n"
                "from cnnkit.widgets import kernel_playground\n"
                "def corr(image, K):\n"
                "    H, W = image.shape\n"
                "    return np.array([[np.sum(image[i:i+3, j:j+3] * K) for j in range(W - 2)]\n"
                "                     for i in range(H - 2)])\n"
                "pg = kernel_playground(step_image(12), corr, preset='identity')\n"
                "pg"
            ),
            nbformat.v4.new_code_cell("print('MAX', pg.result.max())"),
        ]
    )
    playground.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(playground, root / "playground.ipynb")
    port = _free_port()
    # the course's Jupyter configuration, as ./course.sh (cnnkit/lab.py) starts JupyterLab
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        JUPYTER_CONFIG_DIR=str(root / ".jupyter"),
        JUPYTER_CONFIG_PATH=str(REPO / "deploy" / "student-lab"),
    )
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start: " + proc.stderr.read().decode()[-2000:])
    yield base, root
    os.killpg(proc.pid, 9)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield b
        b.close()


def _open(browser, base, name):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    # a workspace of its own, reset, so no tab restored from another test takes focus
    workspace = name.replace(".", "-")
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{name}?reset&token={TOKEN}")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
        timeout=60_000,
    )
    return page


def test_chapter_one_opens_with_its_text_and_exercises(lab, browser, tmp_path):
    base, _ = lab
    page = _open(browser, base, "01_convolution.ipynb")
    page.wait_for_selector("h1:has-text('Convolution')", timeout=30_000)
    assert "卷积" in page.inner_text(".jp-Notebook")
    # solution cells arrive as stubs (counted in the model: JupyterLab renders lazily)
    stubs = page.evaluate(
        "() => Array.from(window.jupyterapp.shell.currentWidget.content.model.cells)"
        ".filter(c => c.type === 'code'"
        " && c.sharedModel.getSource().includes('raise NotImplementedError()')).length"
    )
    assert stubs == 7
    page.screenshot(path=str(tmp_path / "chapter1.png"))
    page.close()


def test_kernel_playground_renders_and_reacts(lab, browser, tmp_path):
    base, _ = lab
    page = _open(browser, base, "playground.ipynb")
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")  # the Run menu, as a person would
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    select = page.wait_for_selector(".widget-dropdown select", timeout=60_000)
    image = page.locator(".jp-OutputArea-output img").nth(1)
    image.wait_for(timeout=30_000)
    before = image.get_attribute("src")
    # identity kernel: the step image itself, max 10
    page.wait_for_selector("text=MAX 10.0", timeout=30_000)
    select.select_option(label="vertical edge")
    page.wait_for_function(
        "(b) => document.querySelectorAll('.jp-OutputArea-output img')[1].src !== b",
        arg=before,
        timeout=30_000,
    )
    # the kernel grid shows the new kernel
    values = page.eval_on_selector_all(
        ".widget-gridbox input", "els => els.map(e => Number(e.value))"
    )
    assert values == [1, 0, -1, 1, 0, -1, 1, 0, -1]
    page.screenshot(path=str(tmp_path / "playground.png"))
    page.close()


def test_students_see_no_instructor_tools(lab, browser, tmp_path):
    """nbgrader's Formgrader and Create Assignment are hidden in the course's JupyterLab."""
    base, _ = lab
    page = _open(browser, base, "01_convolution.ipynb")
    labels = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    if "Nbgrader" in labels:
        page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
        items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        assert "Formgrader" not in items and "Create assignment" not in items
        page.keyboard.press("Escape")
    assert page.locator("text=Create Assignment").count() == 0  # the right-hand panel
    disabled = page.evaluate(
        "() => JSON.parse(document.getElementById("
        "'jupyter-config-data').textContent).disabledExtensions"
    )
    assert "@jupyter/nbgrader:formgrader" in disabled
    status = urllib.request.urlopen(f"{base}/api/status?token={TOKEN}").status
    assert status == 200
    try:
        urllib.request.urlopen(f"{base}/formgrader?token={TOKEN}")
    except urllib.error.HTTPError as exc:
        assert exc.code == 404  # the server extension is off too
    else:
        raise AssertionError("Formgrader is served")
    page.screenshot(path=str(tmp_path / "no_formgrader.png"))
    page.close()
