"""The Jupyter server's contents manager for the lab: what the learner sees, opens and saves.

tools/lab_env.py configures it inside the lab's environment (`<env>/etc/jupyter/jupyter_server_config.json`),
so `make lab`, `jupyter lab` from the venv on Windows, Binder and a hub's server all use it. For every
copy of the lab under the server's root (the root itself, or a folder in it such as a hub learner's
nbgitpuller clone):

- **the learner's own folder** `my-lab/` is kept up to date with the lessons (lab_setup.workspace.sync:
  missing lessons appear, the learner's changes stay) whenever that copy of the lab or my-lab is
  listed or opened, and once when the server starts;
- **the reference lessons** in `notebooks/` open read-only: JupyterLab shows them as such, and a save,
  rename or delete there is refused (403) with a message naming the learner's copy. So the checkout
  stays as git has it;
- **what a learner does not need** at the top of that copy (the packages, tests, tools, build files)
  is left out of its listing; `notebooks/`, `docs/`, `my-lab/` and README.md stay.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from lab_setup.workspace import LEARNER_DIR, REFERENCE_DIR, is_checkout, sync

HIDDEN_AT_TOP = {"bench", "binder", "build", "fakeapi", "lab", "lab_setup", "tests", "tools", "test-artifacts",
                 "Makefile", "pyproject.toml", "requirements.in", "requirements.txt", "requirements-dev.in",
                 "requirements-dev.txt", "requirements-uv.txt"}


class LabContentsManager(AsyncLargeFileManager):
    """AsyncLargeFileManager (jupyter_server's default) with the lab's rules, described above."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        root = Path(self.root_dir)
        if is_checkout(root):
            sync(root)

    def _parts(self, path: str) -> list[str]:
        return [part for part in path.strip("/").split("/") if part]

    def _checkout_before(self, parts: list[str], name: str) -> Path | None:
        """The copy of the lab whose `name` folder this path is in, if any."""
        for index, part in enumerate(parts):
            if part == name:
                base = Path(self.root_dir, *parts[:index])
                if is_checkout(base):
                    return base
        return None

    def is_reference(self, path: str) -> bool:
        return self._checkout_before(self._parts(path), REFERENCE_DIR) is not None

    def _refuse(self, path: str, what: str) -> None:
        parts = self._parts(path)
        index = parts.index(REFERENCE_DIR)
        mine = "/".join([*parts[:index], LEARNER_DIR, *parts[index + 1:]])
        raise web.HTTPError(403, f"{path} is a reference lesson, read-only here; your own copy to {what} is {mine}")

    def _sync_for(self, path: str) -> None:
        parts = self._parts(path)
        checkout = self._checkout_before(parts, LEARNER_DIR)
        if checkout is None and os.path.isdir(Path(self.root_dir, *parts)) and is_checkout(Path(self.root_dir, *parts)):
            checkout = Path(self.root_dir, *parts)
        if checkout is not None:
            sync(checkout)

    async def get(self, path: str, content: bool = True, type: str | None = None, format: str | None = None,
                  require_hash: bool = False) -> dict[str, Any]:
        self._sync_for(path)
        model: dict[str, Any] = await super().get(path, content=content, type=type, format=format,
                                                  require_hash=require_hash)
        if self.is_reference(path):
            model["writable"] = False
        folder = Path(self.root_dir, *self._parts(path))
        if model["type"] == "directory" and model.get("content") and is_checkout(folder):
            model["content"] = [entry for entry in model["content"] if entry["name"] not in HIDDEN_AT_TOP
                                and not entry["name"].endswith(".egg-info")]
        return model

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        if self.is_reference(path):
            self._refuse(path, "save")
        saved: dict[str, Any] = await super().save(model, path)
        return saved

    async def delete_file(self, path: str) -> None:
        if self.is_reference(path):
            self._refuse(path, "change")
        await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> None:
        for path in (old_path, new_path):
            if self.is_reference(path):
                self._refuse(path, "change")
        await super().rename_file(old_path, new_path)
