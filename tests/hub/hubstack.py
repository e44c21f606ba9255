"""The JupyterHub stack on loopback, shared by tests/test_jupyterhub.py and bench/hub_load.py.

A real JupyterHub with the dummy authenticator and the simple local process spawner (every
learner's server is a process on this machine, as on The Littlest JupyterHub), behind npm's
configurable-http-proxy from tests/hub/node_modules (`npm ci --prefix tests/hub`). Learners are
driven the way a browser and JupyterLab drive them: the login form, the hub's REST API to start a
server, the server's REST API to open a notebook, and the kernel's websocket through the proxy.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
import venv
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENV_BIN = Path(sys.executable).parent
JUPYTERHUB = VENV_BIN / "jupyterhub"
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"

sys.path.insert(0, str(HERE.parent))  # tests/, for the bench that imports this module from outside pytest
from localhost import answers, free_port  # noqa: E402


def server_environment(where: Path) -> Path:
    """A Python environment at `where` for the learners' servers, with the lab installed but not configured.

    It stands for the instructor guide's server environment after `pip install -r requirements.txt` and
    `pip install -e .`, before `tools/lab_env.py --configure-here`, without installing anything: its
    sys.prefix is `where` (so Jupyter and IPython read their settings from `where/etc` and `where/share`,
    never from this venv's), and its packages are this venv's (a .pth file adds them). The Jupyter files
    the packages installed into this venv (server extensions enabled, JupyterLab's assets, the kernel)
    are linked in; the settings lab_env.py wrote into this venv are not, so running --configure-here with
    the returned Python is what gives the servers the lab's settings, and writes only under `where`.
    Returns that Python. POSIX layout (the hub tests run on Linux and macOS).
    """
    sys.path.insert(0, str(ROOT / "tools"))
    from lab_env import settings_files
    prefix = Path(sys.prefix)
    ours = set(settings_files(prefix))
    venv.EnvBuilder(with_pip=False).create(where)
    python = where / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "lab-packages.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")

    def mirror(source: Path, target: Path) -> None:
        if source in ours:
            return
        if not any(path.is_relative_to(source) for path in ours):
            target.symlink_to(source, target_is_directory=source.is_dir())
            return
        target.mkdir(parents=True, exist_ok=True)   # a real folder: what --configure-here writes stays in it
        for child in source.iterdir():
            mirror(child, target / child.name)

    for top in ("etc", "share"):
        if (prefix / top).is_dir():
            mirror(prefix / top, where / top)
    return python


def hub_config(workdir: Path, token: str, ports: dict[str, int], extra: str = "",
               server_python: Path | None = None) -> str:
    server_cmd = [str(server_python), "-m", "jupyterhub.singleuser"] if server_python else \
        [str(VENV_BIN / "jupyterhub-singleuser")]
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
c.Spawner.cmd = {server_cmd!r}
c.Spawner.args = ["--allow-root"] if {os.geteuid() == 0} else []
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{"name": "lab-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "lab-test",
    "scopes": ["admin:users", "admin:servers", "access:servers", "tokens"],
    "services": ["lab-test"],
}}]
""" + extra


class Hub:
    """Start JupyterHub in `workdir`; stop() ends it and every process it started (servers, kernels).

    The learners' servers run in this venv, or with `server_python` (see server_environment) if given.
    """

    def __init__(self, workdir: Path, extra_config: str = "", server_python: Path | None = None) -> None:
        self.workdir = workdir
        self.token = secrets.token_hex(16)
        self.ports = {"public": free_port(), "hub": free_port(), "proxy_api": free_port()}
        self.url = f"http://127.0.0.1:{self.ports['public']}"
        self.log_path = workdir / "hub.log"
        config = hub_config(workdir, self.token, self.ports, extra_config, server_python)
        (workdir / "jupyterhub_config.py").write_text(config)
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(JUPYTERHUB), "-f", str(workdir / "jupyterhub_config.py")], cwd=workdir,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PATH": f"{VENV_BIN}:{os.environ['PATH']}"})
        self._seen: set[int] = set()
        deadline = time.monotonic() + 60
        while not answers(f"{self.url}/hub/api/"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("JupyterHub did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.2)

    def descendants(self) -> list[Any]:
        """The hub's child processes, recursively (psutil.Process objects), remembered for stop()."""
        import psutil
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        self._seen.update(p.pid for p in found)
        return found

    def stop(self) -> None:
        self.descendants()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)   # the hub stops the servers it spawned
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        for pid in self._seen:   # servers run in sessions of their own: end any the hub left behind
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()


async def browser(url: str, user: str) -> aiohttp.ClientSession:
    """A cookie-keeping session logged in through the hub's login form, as a learner's browser is."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    try:
        async with session.get(f"{url}/hub/login") as page:
            assert page.status == 200, page.status
        xsrf = next((c.value for c in session.cookie_jar if c.key == "_xsrf"), "")
        async with session.post(f"{url}/hub/login?next=", data={"username": user, "password": "any", "_xsrf": xsrf},
                                allow_redirects=False) as response:
            assert response.status == 302, await response.text()
        cookies = {c.key for c in session.cookie_jar}
        assert "jupyterhub-hub-login" in cookies, cookies
    except BaseException:
        await session.close()
        raise
    return session


async def log_in(url: str, user: str) -> None:
    session = await browser(url, user)
    await session.close()


async def start_server(api: aiohttp.ClientSession, url: str, user: str, timeout: float = 120) -> None:
    async with api.post(f"{url}/hub/api/users/{user}/server") as response:
        assert response.status in (201, 202), await response.text()
    await wait_for_server(api, url, user, ready=True, timeout=timeout)


async def wait_for_server(api: aiohttp.ClientSession, url: str, user: str, *, ready: bool,
                          timeout: float, poll: float = 0.5) -> None:
    """Wait until `user`'s default server is ready (ready=True) or gone (ready=False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with api.get(f"{url}/hub/api/users/{user}") as response:
            model = await response.json()
        server = model["servers"].get("")
        if ready and server and server["ready"]:
            return
        if not ready and not server:
            return
        await asyncio.sleep(poll)
    raise AssertionError(f"{user}'s server did not {'become ready' if ready else 'stop'} within {timeout} s")


async def user_token(api: aiohttp.ClientSession, url: str, user: str) -> str:
    async with api.post(f"{url}/hub/api/users/{user}/tokens", json={"note": "lab test"}) as response:
        assert response.status == 201, await response.text()
        return (await response.json())["token"]


async def open_notebook(http: aiohttp.ClientSession, base: str, path: str) -> str:
    """Open `path` in a new kernel, as JupyterLab does (a session), and return the kernel id."""
    async with http.post(f"{base}/api/sessions", json={
            "path": path, "type": "notebook", "name": Path(path).name, "kernel": {"name": "python3"}}) as response:
        assert response.status == 201, await response.text()
        return (await response.json())["kernel"]["id"]


def kernel_ws_url(base: str, kernel_id: str) -> str:
    return f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels"


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


def code_cells(notebook: Path) -> list[tuple[int, str, bool]]:
    """(index, source, fails on purpose) for every code cell of `notebook`."""
    cells = json.loads(notebook.read_text())["cells"]
    return [(index, "".join(cell["source"]), "raises-exception" in cell.get("metadata", {}).get("tags", []))
            for index, cell in enumerate(cells) if cell["cell_type"] == "code"]


PROBE = ("import json, os, fakeapi\n"
         "api = fakeapi.start()\n"
         "print(json.dumps({'url': api.url, 'pid': os.getpid(), 'requests': len(api.journal())}))")
