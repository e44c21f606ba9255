"""A real JupyterHub on loopback: two learners, two servers, two kernels, two fakeapis that never meet.

The hub uses the dummy authenticator and the simple local process spawner (every user's
server is a process on this machine, as on The Littlest JupyterHub); the proxy is npm's
configurable-http-proxy, installed into tests/hub/node_modules by `make test`. The servers run
in an environment of their own with the lab installed, given the lab's settings the way the
instructor guide says: `python tools/lab_env.py --configure-here` with that environment's Python.
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
    server_environment,
    start_server,
    user_token,
    wait_for_server,
)
from localhost import assert_unsolved, checkout_copy  # noqa: E402

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
    # The servers' environment, set up as the instructor guide's step 5 and "Or, with no second repository":
    # the lab installed (server_environment), then the lab's settings written by --configure-here.
    server_python = server_environment(workdir / "server-env")
    subprocess.run([str(server_python), str(ROOT / "tools" / "lab_env.py"), "--configure-here"],
                   check=True, capture_output=True, timeout=60)
    running = Hub(workdir, culler_config(), server_python)
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
            loaded = await kernel.run("print('lab_setup' in get_ipython().extension_manager.loaded)")
            return {"kernel": kernel_id, "failures": failures, "lab_setup": loaded["stdout"].strip(), **facts}


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
        assert result["lab_setup"] == "True", f"{user}'s kernel did not load lab_setup (set by --configure-here)"
    assert ran["alice"]["pid"] != ran["bob"]["pid"]
    assert ran["alice"]["url"] != ran["bob"]["url"], "two learners must never share a fakeapi"


# The one-click link (nbgitpuller). The learner's browser follows the link through the hub's
# login and OAuth redirects to nbgitpuller's page on their own server; that page's script opens
# the sync stream (git-pull/api) and, when it says "finished", sends the browser to `urlpath`.
# The test does the same steps over HTTP with the learner's cookies, then reads and saves files
# through the contents API, as JupyterLab does when it opens and saves a notebook.

LAB_REPO = "asyncio-lab"             # the lab's own repository (the guide's "no second repository")
LEARNER_REPO = "asyncio-lab-learner"  # a repository of learner copies (the guide's `make workshop` path)
FIRST = "00_start_here.ipynb"


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org", *args],
                          cwd=cwd, check=True, capture_output=True, text=True, timeout=60)
    return done.stdout


def publish(work: Path, tmp: Path) -> str:
    """Push the instructor's repository `work` to a new bare repository (their remote, named as `work`); its URL."""
    remote = tmp / "remote" / work.name
    remote.mkdir(parents=True)
    git("init", "--bare", "-b", "main", cwd=remote)
    git("remote", "add", "origin", remote.as_uri(), cwd=work)
    git("push", "-u", "origin", "main", cwd=work)
    return remote.as_uri()


def commit_and_push(work: Path, message: str) -> str:
    git("add", ".", cwd=work)
    git("commit", "-m", message, cwd=work)
    git("push", cwd=work)
    return git("rev-parse", "HEAD", cwd=work).strip()


async def click_link(url: str, user: str, repo: str, urlpath: str) -> str:
    """Open the instructor's nbgitpuller link as the learner's browser does; return where it lands."""
    query = urllib.parse.urlencode({"repo": repo, "branch": "main", "urlpath": urlpath})
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


class Contents:
    """The learner's server's contents API (what JupyterLab opens and saves through), with their token."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base = http, f"{base}/api/contents"

    async def get(self, path: str) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/{path}") as response:
            assert response.status == 200, f"{path}: {response.status} {await response.text()}"
            model: dict[str, Any] = await response.json()
            return model

    async def save(self, path: str, notebook: dict[str, Any]) -> tuple[int, str]:
        async with self.http.put(f"{self.base}/{path}",
                                 json={"type": "notebook", "format": "json", "content": notebook}) as response:
            return response.status, await response.text()


def new_lesson() -> dict[str, Any]:
    """A lesson the instructor adds during the workshop: an exercise whose solution ran, with its output."""
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# A lesson added during the workshop"},
        {"cell_type": "code", "id": "exercise", "metadata": {}, "execution_count": 1,
         "source": "async def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION\n\nawait answer()",
         "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                      "data": {"text/plain": "42"}}]},
    ]}


def test_link_to_the_lab_itself_opens_the_learners_unsolved_copy_and_pulls_without_conflict(
        hub: dict[str, Any], tmp_path: Path) -> None:
    """The instructor guide's link with no second repository: repo=<this repository>, urlpath=.../my-lab/00."""
    if shutil.which("git") is None:
        pytest.skip("needs git (nbgitpuller runs it): apt-get install git")
    user = "frank"
    instructor = checkout_copy(ROOT, tmp_path / "instructor" / LAB_REPO)   # this repository, as it is now
    repo = publish(instructor, tmp_path)
    pulled = hub["workdir"] / "home" / user / LAB_REPO
    mine, reference = f"{LAB_REPO}/my-lab/{FIRST}", f"{LAB_REPO}/notebooks/{FIRST}"
    added = "20_added_during_the_workshop.ipynb"
    note = "My notes: frank was here"

    async def scenario() -> str:
        url = hub["url"]
        async with service_api(hub) as api:
            await log_in(url, user)
            await start_server(api, url, user)
            token = await user_token(api, url, user)
        # First click: the lab is cloned into the learner's home and JupyterLab opens their copy of lesson 00.
        landed = await click_link(url, user, repo, f"lab/tree/{mine}")
        assert landed == f"/user/{user}/lab/tree/{mine}"
        async with aiohttp.ClientSession(headers={"Authorization": f"token {token}"}) as http:
            contents = Contents(http, f"{url}/user/{user}")
            # JupyterLab opens the copy at urlpath: the server makes my-lab/ on this first visit.
            copy = (await contents.get(mine))["content"]
            solved = await contents.get(reference)
            assert_unsolved(copy, solved["content"], mine)
            # The reference lessons are read-only: JupyterLab shows them so, and the server refuses a save.
            assert solved["writable"] is False
            status, refused = await contents.save(reference, copy)
            assert status == 403 and f"my-lab/{FIRST}" in refused, (status, refused)
            # The learner writes in their copy and saves.
            copy["cells"].append({"cell_type": "markdown", "metadata": {}, "source": note})
            status, saved = await contents.save(mine, copy)
            assert status == 200, saved
            # Meanwhile the instructor changes lesson 00 and adds a lesson, and pushes.
            lesson = json.loads((instructor / "notebooks" / FIRST).read_text())
            lesson["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "Instructor: one more hint"})
            (instructor / "notebooks" / FIRST).write_text(json.dumps(lesson, indent=1) + "\n")
            (instructor / "notebooks" / added).write_text(json.dumps(new_lesson(), indent=1) + "\n")
            head = commit_and_push(instructor, "Lesson 00: one more hint; a lesson added during the workshop")
            # Second click: the new commit arrives; the learner's copy of lesson 00 stays theirs.
            assert await click_link(url, user, repo, f"lab/tree/{mine}") == landed
            listed = {entry["name"] for entry in (await contents.get(f"{LAB_REPO}/my-lab"))["content"]}
            assert added in listed, f"the new lesson did not appear in my-lab: {sorted(listed)}"
            assert_unsolved((await contents.get(f"{LAB_REPO}/my-lab/{added}"))["content"], new_lesson(), added)
            kept = json.dumps((await contents.get(mine))["content"])
            assert note in kept, "the second click lost the learner's edit"
            assert "one more hint" in json.dumps((await contents.get(reference))["content"]), "lesson 00 was not pulled"
        return head

    head = asyncio.run(scenario())
    # my-lab/ is ignored by git, so the learner's clone holds the instructor's commit and nothing to merge.
    assert git("status", "--porcelain", "--untracked-files=all", cwd=pulled) == "", "the learner's clone is not clean"
    git("merge-base", "--is-ancestor", head, "HEAD", cwd=pulled)
    assert git("check-ignore", "my-lab", cwd=pulled).strip() == "my-lab"


def test_link_to_a_learner_repository_pulls_new_lessons_and_keeps_the_learners_edits(
        hub: dict[str, Any], tmp_path: Path) -> None:
    """The instructor guide's other link: a repository of the learner copies `make workshop` writes."""
    if shutil.which("git") is None:
        pytest.skip("needs git (nbgitpuller runs it): apt-get install git")
    lab = checkout_copy(ROOT, tmp_path / "lab")   # the instructor's clone of this repository
    instructor = tmp_path / "instructor" / LEARNER_REPO

    def make_workshop() -> None:   # `make workshop OUT=...`, from the instructor's clone
        subprocess.run([sys.executable, str(lab / "tools" / "workshop.py"), str(instructor)],
                       check=True, capture_output=True, timeout=60)

    make_workshop()
    git("init", "-b", "main", cwd=instructor)
    git("add", ".", cwd=instructor)
    git("commit", "-m", "Learner copies", cwd=instructor)
    repo = publish(instructor, tmp_path)
    pulled = hub["workdir"] / "home" / "erin" / LEARNER_REPO
    added = "20_added_during_the_workshop.ipynb"
    note = "My notes: erin was here"

    async def scenario() -> None:
        url = hub["url"]
        async with service_api(hub) as api:
            await log_in(url, "erin")
            await start_server(api, url, "erin")
            token = await user_token(api, url, "erin")
        # First click: the learner copies are cloned into the learner's home and JupyterLab opens lesson 00.
        landed = await click_link(url, "erin", repo, f"lab/tree/{LEARNER_REPO}/{FIRST}")
        assert landed == f"/user/erin/lab/tree/{LEARNER_REPO}/{FIRST}"
        async with aiohttp.ClientSession(headers={"Authorization": f"token {token}"}) as http:
            contents = Contents(http, f"{url}/user/erin")
            notebook = (await contents.get(f"{LEARNER_REPO}/{FIRST}"))["content"]
            assert_unsolved(notebook, json.loads((ROOT / "notebooks" / FIRST).read_text()), FIRST)
            # The learner writes in lesson 00 and saves.
            notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": note})
            status, saved = await contents.save(f"{LEARNER_REPO}/{FIRST}", notebook)
            assert status == 200, saved
        # Meanwhile the instructor adds a lesson, runs make workshop again and pushes.
        (lab / "notebooks" / added).write_text(json.dumps(new_lesson(), indent=1) + "\n")
        make_workshop()
        commit_and_push(instructor, "A lesson added during the workshop")
        # Second click: the new lesson arrives, the learner's notes stay.
        assert await click_link(url, "erin", repo, f"lab/tree/{LEARNER_REPO}/{FIRST}") == landed

    asyncio.run(scenario())
    assert (pulled / added).is_file(), "the second click did not bring the new lesson"
    assert_unsolved(json.loads((pulled / added).read_text()), new_lesson(), added)
    assert note in (pulled / FIRST).read_text(), "the second click lost the learner's edit"
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
