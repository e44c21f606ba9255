"""A real JupyterHub on loopback: two learners, two servers, two kernels, two fakeapis that never meet.

The hub uses the dummy authenticator and the simple local process spawner (every user's
server is a process on this machine, as on The Littlest JupyterHub); the proxy is npm's
configurable-http-proxy, installed into tests/hub/node_modules by `make test`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "hub"))
from hubstack import (  # noqa: E402
    JUPYTERHUB,
    PROBE,
    PROXY,
    ROOT,
    Hub,
    Kernel,
    browser,
    code_cells,
    kernel_ws_url,
    log_in,
    open_notebook,
    start_server,
    user_token,
    wait_for_server,
)

NOTEBOOK = ROOT / "notebooks" / "01_basic_gather.ipynb"
USERS = ("alice", "bob")
# Idle culling, made fast for the test: the culler (a hub service, as in the instructor guide) checks
# every second and stops servers idle for CULL_TIMEOUT seconds; servers report their activity to the
# hub every second (JUPYTERHUB_ACTIVITY_INTERVAL, 300 s by default) and the hub records it at a
# 1-second resolution (activity_resolution, 30 s by default). Only the group "cull-demo" is the
# culler's to see and stop, so the other tests' learners are never culled.
CULL_TIMEOUT = 8
CULLED = ("carol", "dave")

pytestmark = [pytest.mark.hub, pytest.mark.skipif(
    not (JUPYTERHUB.exists() and PROXY.exists()
         and importlib.util.find_spec("nbgitpuller") and importlib.util.find_spec("jupyterhub_idle_culler")),
    reason="needs jupyterhub, nbgitpuller and jupyterhub-idle-culler (requirements-dev.txt) and "
           "configurable-http-proxy in tests/hub/node_modules (npm ci --prefix tests/hub): run `make test`",
)]


def culler_config() -> str:
    scopes = [f"{scope}!group=cull-demo" for scope in
              ("list:users", "read:users:activity", "read:servers", "delete:servers")]
    return f"""
c.JupyterHub.load_groups = {{"cull-demo": {{"users": {list(CULLED)!r}}}}}
c.JupyterHub.services.append({{
    "name": "idle-culler",
    "command": [{sys.executable!r}, "-m", "jupyterhub_idle_culler", "--timeout={CULL_TIMEOUT}", "--cull-every=1"],
}})
c.JupyterHub.load_roles.append({{"name": "idle-culler", "scopes": {scopes!r}, "services": ["idle-culler"]}})
c.JupyterHub.activity_resolution = 1
c.Spawner.environment = {{"JUPYTERHUB_ACTIVITY_INTERVAL": "1"}}
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Any:
    workdir = tmp_path_factory.mktemp("hub")
    running = Hub(workdir, culler_config())
    try:
        yield {"url": running.url, "token": running.token, "workdir": workdir, "log": running.log_path}
    finally:
        running.stop()


def service_api(hub: dict[str, Any]) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(headers={"Authorization": f"token {hub['token']}"})


async def run_notebook_through_hub(url: str, user: str, token: str) -> dict[str, Any]:
    """Open the notebook in a new kernel on the user's server, through the hub's proxy, and run every cell."""
    base = f"{url}/user/{user}"
    async with aiohttp.ClientSession(headers={"Authorization": f"token {token}"}) as http:
        kernel_id = await open_notebook(http, base, NOTEBOOK.name)
        async with http.ws_connect(kernel_ws_url(base, kernel_id), max_msg_size=0) as ws:
            kernel = Kernel(ws)
            failures = []
            for index, source, fails_on_purpose in code_cells(NOTEBOOK):
                outcome = await asyncio.wait_for(kernel.run(source), 120)
                if outcome["status"] != ("error" if fails_on_purpose else "ok"):
                    failures.append((index, outcome["errors"] or "ran without the error it shows on purpose"))
            probe = await kernel.run(PROBE)
            facts = json.loads(probe["stdout"].strip().splitlines()[-1])
            return {"kernel": kernel_id, "failures": failures, **facts}


async def journal_size(url: str, user: str, token: str, kernel_id: str, code: str) -> int:
    headers = {"Authorization": f"token {token}"}
    async with aiohttp.ClientSession(headers=headers) as http, \
            http.ws_connect(kernel_ws_url(f"{url}/user/{user}", kernel_id)) as ws:
        outcome = await Kernel(ws).run(code + "\nprint(len(api.journal()))")
        assert outcome["status"] == "ok", outcome["errors"]
        return int(outcome["stdout"].strip().splitlines()[-1])


def test_two_learners_run_the_lesson_through_the_hub_apart(hub: dict[str, Any]) -> None:
    if not NOTEBOOK.exists():
        pytest.fail(f"{NOTEBOOK.name} is missing")
    for user in USERS:
        home = hub["workdir"] / "home" / user
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(NOTEBOOK, home / NOTEBOOK.name)
        shutil.copytree(NOTEBOOK.parent / "scripts", home / "scripts", dirs_exist_ok=True,  # cells run scripts/
                        ignore=shutil.ignore_patterns("__pycache__"))

    async def scenario() -> dict[str, dict[str, Any]]:
        url = hub["url"]
        for user in USERS:
            await log_in(url, user)
        async with service_api(hub) as api:
            await asyncio.gather(*(start_server(api, url, user) for user in USERS))
            tokens = {user: await user_token(api, url, user) for user in USERS}
        results = await asyncio.gather(*(run_notebook_through_hub(url, user, tokens[user]) for user in USERS))
        ran = dict(zip(USERS, results))
        # Journals stay apart: alice clears hers, bob makes three requests, alice's stays empty.
        alice, bob = ran["alice"], ran["bob"]
        assert await journal_size(url, "alice", tokens["alice"], alice["kernel"], "api.clear_journal()") == 0
        bob_code = ("import aiohttp\napi.clear_journal()\nasync with aiohttp.ClientSession() as s:\n"
                    "    for i in (1, 2, 3):\n        async with s.get(f'{api.url}/users/{i}') as r: await r.read()")
        assert await journal_size(url, "bob", tokens["bob"], bob["kernel"], bob_code) == 3
        assert await journal_size(url, "alice", tokens["alice"], alice["kernel"], "") == 0
        return ran

    ran = asyncio.run(scenario())
    for user, result in ran.items():
        assert result["failures"] == [], f"{user}'s notebook failed: {result['failures']}"
        assert result["requests"] > 0, f"{user}'s notebook made no request"
    assert ran["alice"]["pid"] != ran["bob"]["pid"]
    assert ran["alice"]["url"] != ran["bob"]["url"], "two learners must never share a fakeapi"


# The one-click link (nbgitpuller). The learner's browser follows the link through the hub's
# login and OAuth redirects to nbgitpuller's page on their own server; that page's script opens
# the sync stream (git-pull/api) and, when it says "finished", sends the browser to `urlpath`.
# The test does the same steps over HTTP with the learner's cookies.

LEARNER_REPO = "asyncio-lab-learner"
FIRST = "00_start_here.ipynb"


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org", *args],
                   cwd=cwd, check=True, capture_output=True, timeout=60)


def publish_learner_repo(tmp: Path) -> tuple[str, Path]:
    """A bare repository (the instructor's remote) holding lesson 00 and scripts/, and a clone to push from."""
    remote = tmp / "remote" / LEARNER_REPO
    remote.mkdir(parents=True)
    git("init", "--bare", "-b", "main", cwd=remote)
    work = tmp / "instructor"
    work.mkdir()
    git("init", "-b", "main", cwd=work)
    shutil.copy(ROOT / "notebooks" / FIRST, work / FIRST)
    shutil.copytree(ROOT / "notebooks" / "scripts", work / "scripts",
                    ignore=shutil.ignore_patterns("__pycache__"))
    git("add", ".", cwd=work)
    git("commit", "-m", "Learner copy of lesson 00", cwd=work)
    git("remote", "add", "origin", remote.as_uri(), cwd=work)
    git("push", "-u", "origin", "main", cwd=work)
    return remote.as_uri(), work


async def click_link(url: str, user: str, repo: str) -> str:
    """Open the instructor's nbgitpuller link as the learner's browser does; return where it lands."""
    query = urllib.parse.urlencode({"repo": repo, "branch": "main", "urlpath": f"lab/tree/{LEARNER_REPO}/{FIRST}"})
    session = await browser(url, user)
    async with session:
        async with session.get(f"{url}/hub/user-redirect/git-pull?{query}") as page:
            assert page.status == 200, await page.text()
            html = await page.text()
        data = {key: urllib.parse.unquote(value) for key, value in re.findall(r'data-([a-z-]+)="([^"]*)"', html)}
        assert data["base-url"] == f"/user/{user}/", data
        sync = urllib.parse.urlencode({"_xsrf": data["xsrf"], "repo": data["repo"], "targetpath": data["targetpath"],
                                       "branch": data["branch"]})
        phase, events = None, []
        async with session.get(f"{url}{data['base-url']}git-pull/api?{sync}",
                               timeout=aiohttp.ClientTimeout(total=120)) as stream:
            async for line in stream.content:
                if line.startswith(b"data: "):
                    event = json.loads(line[6:])
                    events.append(event)
                    phase = event["phase"]
                    if phase in ("finished", "error"):
                        break
        assert phase == "finished", events
        async with session.get(f"{url}{data['base-url']}{data['path']}") as lab:
            assert lab.status == 200, await lab.text()
            assert "jupyter-config-data" in await lab.text(), "the link did not land in JupyterLab"
            return lab.url.path


def test_nbgitpuller_link_pulls_the_lab_and_keeps_the_learners_edits(hub: dict[str, Any], tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("needs git (nbgitpuller runs it): apt-get install git")
    repo, instructor = publish_learner_repo(tmp_path)
    home = hub["workdir"] / "home" / "erin"
    pulled = home / LEARNER_REPO

    async def scenario() -> None:
        url = hub["url"]
        async with service_api(hub) as api:
            await log_in(url, "erin")
            await start_server(api, url, "erin")
            token = await user_token(api, url, "erin")
        # First click: the lab is cloned into the learner's home and JupyterLab opens lesson 00.
        landed = await click_link(url, "erin", repo)
        assert landed == f"/user/erin/lab/tree/{LEARNER_REPO}/{FIRST}"
        assert (pulled / FIRST).is_file() and (pulled / "scripts").is_dir()
        # The learner writes in lesson 00 and saves (JupyterLab saves through the contents API).
        path = f"{url}/user/erin/api/contents/{LEARNER_REPO}/{FIRST}"
        async with aiohttp.ClientSession(headers={"Authorization": f"token {token}"}) as http:
            async with http.get(path) as response:
                model = await response.json()
            notebook = model["content"]
            notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "My notes: erin was here"})
            async with http.put(path, json={"type": "notebook", "format": "json", "content": notebook}) as response:
                assert response.status == 200, await response.text()
        # Meanwhile the instructor publishes lesson 01.
        shutil.copy(NOTEBOOK, instructor / NOTEBOOK.name)
        git("add", NOTEBOOK.name, cwd=instructor)
        git("commit", "-m", "Lesson 01", cwd=instructor)
        git("push", cwd=instructor)
        # Second click: lesson 01 arrives, the learner's notes stay.
        assert await click_link(url, "erin", repo) == landed

    asyncio.run(scenario())
    assert (pulled / NOTEBOOK.name).is_file(), "the second click did not bring the new lesson"
    assert "My notes: erin was here" in (pulled / FIRST).read_text(), "the second click lost the learner's edit"
    json.loads((pulled / FIRST).read_text())   # still a notebook


# Idle culling (jupyterhub-idle-culler as a hub service, CULL_TIMEOUT seconds here).

def test_idle_culler_stops_the_idle_server_not_the_busy_one_and_keeps_the_work(hub: dict[str, Any]) -> None:
    idle, busy = CULLED
    work = "print('my work')\n"

    async def scenario() -> dict[str, Any]:
        url = hub["url"]
        async with service_api(hub) as api:
            for user in CULLED:
                await log_in(url, user)
            tokens = {user: await user_token(api, url, user) for user in CULLED}
            await asyncio.gather(*(start_server(api, url, user) for user in CULLED))
            # The busy learner runs a cell that prints every half second until the test is done (at most 2 minutes).
            base = f"{url}/user/{busy}"
            async with aiohttp.ClientSession(headers={"Authorization": f"token {tokens[busy]}"}) as http:
                kernel_id = await open_notebook(http, base, "busy.ipynb")
                async with http.ws_connect(kernel_ws_url(base, kernel_id)) as ws:
                    running = asyncio.create_task(Kernel(ws).run(
                        "import asyncio, os\nfor i in range(240):\n    print(i)\n"
                        "    if os.path.exists('done'): break\n    await asyncio.sleep(0.5)"))
                    # The idle learner saves a file, then walks away.
                    async with aiohttp.ClientSession(headers={"Authorization": f"token {tokens[idle]}"}) as idle_http:
                        async with idle_http.put(f"{url}/user/{idle}/api/contents/mywork.py",
                                                 json={"type": "file", "format": "text", "content": work}) as response:
                            assert response.status == 201, await response.text()
                        await wait_for_server(api, url, idle, ready=False, timeout=CULL_TIMEOUT + 30)
                        # The idle learner comes back (the busy one's cell still runs): a new server, the same home.
                        await start_server(api, url, idle)
                        async with idle_http.get(f"{url}/user/{idle}/api/contents/mywork.py") as response:
                            assert response.status == 200, await response.text()
                            back = (await response.json())["content"]
                    # By now the busy learner was busy for longer than the timeout: the idle one's whole wait.
                    (hub["workdir"] / "home" / busy / "done").touch()
                    try:
                        outcome = await asyncio.wait_for(running, 60)
                    except AssertionError as closed:
                        raise AssertionError(
                            f"the busy learner's kernel went away while its cell ran: {closed}") from closed
            assert outcome["status"] == "ok", outcome["errors"]
            async with api.get(f"{url}/hub/api/users/{busy}") as response:
                busy_server = (await response.json())["servers"].get("")
            return {"busy_server": busy_server, "back": back}

    seen = asyncio.run(scenario())
    log = hub["log"].read_text()
    assert f"Culling server {busy}" not in log and seen["busy_server"] and seen["busy_server"]["ready"], \
        "the busy learner's server was stopped while their cell ran"
    assert f"Culling server {idle}" in log, "the idle server was stopped, but not by the culler"
    assert seen["back"] == work, "the culled learner's file changed"
    assert (hub["workdir"] / "home" / idle / "mywork.py").read_text() == work
