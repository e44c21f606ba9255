"""tools/lab_env.py's settings: written into an environment, idempotent, and never at the cost of settings
someone else put there (a hub's or a conda environment's own)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from lab_env import KERNEL_CONFIG, LAB_OVERRIDES, SERVER_CONFIG, configure, settings_files  # noqa: E402


def test_configure_writes_every_setting_into_an_empty_environment_and_again_changes_nothing(tmp_path: Path) -> None:
    configure(tmp_path)
    written = {path: path.read_text() for path in settings_files(tmp_path)}
    assert written == settings_files(tmp_path)
    before = {path: path.stat().st_mtime_ns for path in written}
    configure(tmp_path)
    assert {path: path.stat().st_mtime_ns for path in written} == before


def test_configure_keeps_the_settings_it_finds(tmp_path: Path) -> None:
    kernel, server, lab = settings_files(tmp_path)
    theirs_py = "c.InteractiveShellApp.exec_lines = ['import numpy']\n"
    theirs_server = {"ServerApp": {"open_browser": False}, "MappingKernelManager": {"cull_idle_timeout": 600}}
    theirs_lab = {"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}
    for path, text in ((kernel, theirs_py), (server, json.dumps(theirs_server)), (lab, json.dumps(theirs_lab))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    configure(tmp_path)
    configure(tmp_path)  # a second run adds nothing twice

    assert kernel.read_text() == theirs_py + "\n" + KERNEL_CONFIG
    assert json.loads(server.read_text()) == {
        "ServerApp": {"open_browser": False, **SERVER_CONFIG["ServerApp"]},
        "MappingKernelManager": {"cull_idle_timeout": 600}}
    assert json.loads(lab.read_text()) == {**theirs_lab, **LAB_OVERRIDES}
