"""A real JupyterHub on loopback: two learners, two servers, two kernels, two fakeapis that never meet.

The hub uses the dummy authenticator and the simple local process spawner (every user's
server is a process on this machine, as on The Littlest JupyterHub); the proxy is npm's
configurable-http-proxy, installed into tests/hub/node_modules by `make test`.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import pytest
from localhost import answers, free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
JUPYTERHUB = VENV_BIN / "jupyterhub"
PROXY = ROOT / "tests" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
NOTEBOOK = ROOT / "notebooks" / "01_basic_gather.ipynb"
USERS = ("alice", "bob")

pytestmark = pytest.mark.skipif(
    not (JUPYTERHUB.exists() and PROXY.exists()),
    reason="needs jupyterhub (requirements-dev.txt) and configurable-http-proxy in tests/hub/node_modules (npm ci --prefix tests/hub): run `make test`",
)



def hub_config(workdir: Path, token: str, ports: dict[str, int]) -> str:
    return f"""
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {ports["public"]}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {ports["hub"]}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports["proxy_api"]}"
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.JupyterHub.db_url = "sqlite:///{workdir}/hub.sqlite"
c.JupyterHub.cookie_secret_file = "{workdir}/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{workdir}/home/{{username}}"
c.Spawner.cmd = [{str(VENV_BIN / "jupyterhub-singleuser")!r}]
c.Spawner.args = ["--allow-root"] if {os.geteuid() == 0} else []
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{"name": "lab-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "lab-test",
    "scopes": ["admin:users", "admin:servers", "access:servers", "tokens"],
    "services": ["lab-test"],
}}]
"""



@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Any:
    workdir = tmp_path_factory.mktemp("hub")
    token = secrets.token_hex(16)
    ports = {"public": free_port(), "hub": free_port(), "proxy_api": free_port()}
    (workdir / "jupyterhub_config.py").write_text(hub_config(workdir, token, ports))
    log = open(workdir / "hub.log", "w")
    process = subprocess.Popen([str(JUPYTERHUB), "-f", str(workdir / "jupyterhub_config.py")], cwd=workdir,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"})
    url = f"http://127.0.0.1:{ports['public']}"
    try:
        deadline = time.monotonic() + 60
        while not answers(f"{url}/hub/api/"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterHub did not start:\n" + (workdir / "hub.log").read_text()[-3000:])
            time.sleep(0.2)
        yield {"url": url, "token": token, "workdir": workdir, "log": workdir / "hub.log"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


async def log_in(url: str, user: str) -> None:
    """Log in through the hub's login form, as a learner's browser does."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{url}/hub/login") as page:
            assert page.status == 200
        xsrf = next((c.value for c in session.cookie_jar if c.key == "_xsrf"), "")
        async with session.post(f"{url}/hub/login?next=", data={"username": user, "password": "any", "_xsrf": xsrf},
                                allow_redirects=False) as response:
            assert response.status == 302, await response.text()
        cookies = {c.key for c in session.cookie_jar}
    assert "jupyterhub-hub-login" in cookies, cookies


async def start_server(api: aiohttp.ClientSession, url: str, user: str) -> None:
    async with api.post(f"{url}/hub/api/users/{user}/server") as response:
        assert response.status in (201, 202), await response.text()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        async with api.get(f"{url}/hub/api/users/{user}") as response:
            model = await response.json()
        server = model["servers"].get("")
        if server and server["ready"]:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{user}'s server did not become ready")


async def user_token(api: aiohttp.ClientSession, url: str, user: str) -> str:
    async with api.post(f"{url}/hub/api/users/{user}/tokens", json={"note": "lab test"}) as response:
        assert response.status == 201, await response.text()
        return (await response.json())["token"]


class Kernel:
    """Just enough of the Jupyter messaging protocol to run cells over the server's websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.session = uuid.uuid4().hex

    async def run(self, code: str) -> dict[str, Any]:
        msg_id = uuid.uuid4().hex
        await self.ws.send_json({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": self.session, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True},
        })
        result: dict[str, Any] = {"stdout": "", "errors": [], "status": None}
        idle = False
        async for message in self.messages():
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            if kind == "stream" and message["content"]["name"] == "stdout":
                result["stdout"] += message["content"]["text"]
            elif kind == "error":
                result["errors"].append(f"{message['content']['ename']}: {message['content']['evalue']}")
            elif kind == "execute_reply":
                result["status"] = message["content"]["status"]
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                idle = True
            if idle and result["status"] is not None:
                return result
        raise AssertionError("kernel websocket closed")

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        async for frame in self.ws:
            if frame.type == aiohttp.WSMsgType.TEXT:
                yield json.loads(frame.data)


async def run_notebook_through_hub(url: str, user: str, token: str) -> dict[str, Any]:
    """Open the notebook in a new kernel on the user's server, through the hub's proxy, and run every cell."""
    headers = {"Authorization": f"token {token}"}
    base = f"{url}/user/{user}"
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{base}/api/sessions", json={
                "path": NOTEBOOK.name, "type": "notebook", "name": NOTEBOOK.name,
                "kernel": {"name": "python3"}}) as response:
            assert response.status == 201, await response.text()
            kernel_id = (await response.json())["kernel"]["id"]
        ws_url = f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels"
        async with http.ws_connect(ws_url, max_msg_size=0) as ws:
            kernel = Kernel(ws)
            cells = json.loads(NOTEBOOK.read_text())["cells"]
            failures = []
            for index, cell in enumerate(cells):
                if cell["cell_type"] != "code":
                    continue
                outcome = await asyncio.wait_for(kernel.run("".join(cell["source"])), 120)
                fails_on_purpose = "raises-exception" in cell.get("metadata", {}).get("tags", [])
                if outcome["status"] != ("error" if fails_on_purpose else "ok"):
                    failures.append((index, outcome["errors"] or "ran without the error it shows on purpose"))
            probe = await kernel.run(
                "import json, os, fakeapi\n"
                "api = fakeapi.start()\n"
                "print(json.dumps({'url': api.url, 'pid': os.getpid(), 'requests': len(api.journal())}))")
            facts = json.loads(probe["stdout"].strip().splitlines()[-1])
            return {"kernel": kernel_id, "failures": failures, **facts}


async def journal_size(url: str, user: str, token: str, kernel_id: str, code: str) -> int:
    headers = {"Authorization": f"token {token}"}
    ws_url = f"{url.replace('http', 'ws', 1)}/user/{user}/api/kernels/{kernel_id}/channels"
    async with aiohttp.ClientSession(headers=headers) as http, http.ws_connect(ws_url) as ws:
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

    async def scenario() -> dict[str, dict[str, Any]]:
        url = hub["url"]
        for user in USERS:
            await log_in(url, user)
        async with aiohttp.ClientSession(headers={"Authorization": f"token {hub['token']}"}) as api:
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
