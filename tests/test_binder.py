"""Binder builds with repo2docker from binder/: a Python with TaskGroup, and the lab installed.

No image is built here (that needs a Docker engine). The last test does what repo2docker's image
build does once its Python exists: binder/postBuild in the repository's folder with that Python
first on PATH, then a Jupyter server started there, as Binder starts it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localhost import answers, assert_unsolved, checkout_copy, free_port, stop_session

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
FIRST = "00_start_here.ipynb"


def test_runtime_pins_a_python_with_taskgroup() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match, f"runtime.txt should read python-3.X, got {runtime!r}"
    assert int(match.group(1)) >= 11, "repo2docker defaults to Python 3.10, which has no TaskGroup"


def test_runtime_is_the_python_of_the_committed_outputs_and_make_test_proves_it() -> None:
    """Binder runs 3.14: the Python whose outputs the lessons commit (docs/AUTHORING.md), and one make test proves."""
    makefile = (ROOT / "Makefile").read_text()
    proven = re.search(r"^PYTHONS \?= (.+)$", makefile, re.M)
    assert proven and "3.14" in proven.group(1).split()
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.14"


def test_post_build_installs_the_pinned_lab() -> None:
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "postBuild must be executable"
    lines = post_build.read_text().splitlines()
    assert any("-r requirements.txt" in line for line in lines)
    assert any(line.rstrip().endswith("-e .") for line in lines), "import fakeapi and lab need the package installed"
    assert "python tools/lab_env.py --configure-here" in lines, (
        "the lab's Jupyter settings (my-lab/, Stop) in the image")
    # With binder/ present repo2docker ignores the root's requirements.txt, so nothing else may hide there.
    assert sorted(p.name for p in BINDER.iterdir()) == ["postBuild", "runtime.txt"]


def test_readme_badge_opens_the_learners_copy_of_the_first_lesson() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "urlpath=lab/tree/my-lab/00_start_here.ipynb" in readme


def pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


def uv() -> Path | None:
    sys.path.insert(0, str(ROOT / "tools"))
    from lab_env import find_uv
    return find_uv()


@pytest.fixture
def binder_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The repository as Binder's image has it after postBuild, served as Binder serves it."""
    if not pypi_reachable():
        pytest.skip("postBuild's `pip install -e .` builds in an isolated environment that pip fills from PyPI")
    repo = checkout_copy(ROOT, tmp_path / "repo")   # the image's copy of the repository; HOME and cwd in Binder
    env_dir = tmp_path / "env"                       # the image's Python environment (conda's, in Binder)
    env_bin = env_dir / "bin"
    found_uv = uv()
    if found_uv:
        subprocess.run([str(found_uv), "venv", "--quiet", "--seed", "--python", sys.executable, str(env_dir)],
                       check=True, capture_output=True, timeout=120)
        # Speed only: uv puts the locked packages in from its cache first (make venv-dev just filled it), so
        # postBuild's `pip install -r requirements.txt` finds each pin satisfied instead of downloading it.
        # postBuild still runs in full: pip checks every pin, builds and installs the lab, --configure-here.
        fill = [str(found_uv), "pip", "install", "--quiet", "--python", str(env_bin / "python"), "-r",
                str(repo / "requirements.txt")]
        if subprocess.run([*fill, "--offline"], capture_output=True, timeout=300).returncode != 0:
            subprocess.run(fill, check=True, capture_output=True, timeout=300)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, capture_output=True, timeout=300)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "IPYTHON", "PYTHON", "VIRTUAL_ENV", "CONDA"))}
    env.update(PATH=f"{env_bin}{os.pathsep}{os.environ['PATH']}", HOME=str(repo), PIP_DISABLE_PIP_VERSION_CHECK="1")
    built = subprocess.run(["./binder/postBuild"], cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-3000:]
    port, token = free_port(), secrets.token_hex(16)
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [str(env_bin / "jupyter-lab"), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             f"--IdentityProvider.token={token}", *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=repo, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not answers(f"{url}/api/status?token={token}"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.3)
        yield {"url": url, "token": token, "repo": repo}
    finally:
        stop_session(server)


def call(server: dict[str, Any], method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(f"{server['url']}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {server['token']}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as refused:
        with refused:   # closed, or Python 3.14 warns when it is collected
            answer = refused.read().decode(errors="replace")
        return refused.code, json.loads(answer) if answer.startswith("{") else {"message": answer[-500:]}


@pytest.mark.slow
@pytest.mark.skipif(os.name == "nt", reason="Binder images are Linux; postBuild is a bash script")
def test_post_build_in_a_fresh_environment_gives_the_badge_the_learners_unsolved_copy(
        binder_server: dict[str, Any]) -> None:
    status, mine = call(binder_server, "GET", f"/api/contents/my-lab/{FIRST}")
    assert status == 200, mine
    reference = json.loads((ROOT / "notebooks" / FIRST).read_text())
    assert_unsolved(mine["content"], reference, f"my-lab/{FIRST}")
    status, refused = call(binder_server, "PUT", f"/api/contents/notebooks/{FIRST}",
                           {"type": "notebook", "format": "json", "content": mine["content"]})
    assert status == 403 and f"my-lab/{FIRST}" in refused["message"], refused
    # The README's badge opens urlpath=lab/tree/my-lab/00_start_here.ipynb: JupyterLab's page for it.
    page = urllib.request.Request(f"{binder_server['url']}/lab/tree/my-lab/{FIRST}",
                                  headers={"Authorization": f"token {binder_server['token']}"})
    with urllib.request.urlopen(page, timeout=60) as response:
        assert response.status == 200 and b"jupyter-config-data" in response.read()
