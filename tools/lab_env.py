"""Set up a virtual environment for the lab from the lock, on any OS, with any Python 3.11+.

    python tools/lab_env.py                     # .venv with the lab (requirements.txt)
    python tools/lab_env.py --dev               # ... plus what the tests need (requirements-dev.txt)
    python3.13 tools/lab_env.py --venv .venv-3.13 --dev
    python tools/lab_env.py --find 3.12         # print the path of a Python 3.12 found here, or fail
    python tools/lab_env.py --configure-here    # only the lab's Jupyter settings, into this Python's env

The Python that runs this script is the venv's Python. It needs nothing but the standard library:
the venv gets pip, pip installs uv (pinned in requirements-uv.txt), and uv installs the lock, which
is much faster than pip. A uv already here (LAB_UV, on PATH, or in another of the lab's venvs) is
used instead. If uv cannot be installed (or LAB_INSTALLER=pip), pip installs the same lock.
A venv whose stamp matches the lock is left alone, so running this twice costs nothing.

Every environment it sets up also gets the lab's Jupyter settings (`configure`), inside the
environment, never in the learner's home: the kernel loads the `lab_setup` IPython extension (Stop
works in every notebook), the server uses `lab_setup.server.LabContentsManager` (the learner's own
`my-lab/`, read-only reference lessons), and JupyterLab asks nothing on first start (no news popup).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB_LOCK = ROOT / "requirements.txt"
DEV_LOCK = ROOT / "requirements-dev.txt"
UV_PIN = ROOT / "requirements-uv.txt"
OLDEST = (3, 11)  # asyncio.TaskGroup and asyncio.timeout


def bin_dir(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin")


def executable(venv_dir: Path, name: str) -> Path:
    return bin_dir(venv_dir) / (f"{name}.exe" if os.name == "nt" else name)


def say(message: str) -> None:
    print(f"lab_env: {message}", flush=True)


def run(*command: str | Path) -> None:
    subprocess.run([str(part) for part in command], check=True, cwd=ROOT)


def find_python(version: str) -> str | None:
    """A Python `version` (like "3.12") on this machine: on PATH, via the Windows launcher, or under pyenv."""
    candidates: list[str | None] = [shutil.which(f"python{version}")]
    if os.name == "nt" and shutil.which("py"):
        found = subprocess.run(["py", f"-{version}", "-c", "import sys; print(sys.executable)"],
                               capture_output=True, text=True)
        candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    installed = glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", "python"))

    def version_of(path: str) -> list[int]:
        return [int(part) if part.isdigit() else 0 for part in Path(path).parts[-3].split(".")]

    newest_first: list[str] = sorted(installed, key=version_of, reverse=True)
    candidates.extend(newest_first)
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True)
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def stamp_of(what: str, installer: str) -> str:
    """One line naming what is installed, by which installer, on which Python, from which files."""
    digest = hashlib.sha256(installer.encode())
    for path in (LAB_LOCK, DEV_LOCK, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    for package in sorted(ROOT.glob("*/__init__.py")):  # a new top-level package needs the editable install again
        digest.update(package.parent.name.encode())
    return f"{what} {installer} {sys.version.split()[0]} {digest.hexdigest()}"


def find_uv() -> Path | None:
    """A uv already here: LAB_UV, uv on PATH, or one this script put in another of the lab's venvs."""
    for candidate in (os.environ.get("LAB_UV"), shutil.which("uv"),
                      *(executable(Path(d), "uv") for d in sorted(glob.glob(str(ROOT / ".venv*"))))):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def bootstrap_uv(venv_dir: Path) -> Path | None:
    """uv in the venv, installed by the venv's pip; None (and why) when that fails."""
    uv = executable(venv_dir, "uv")
    done = subprocess.run([str(executable(venv_dir, "python")), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", "-r", str(UV_PIN)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode == 0 and uv.exists():
        return uv
    say(f"uv could not be installed, so pip installs the lab instead (slower): {done.stderr.strip()[-300:]}")
    return None


def install(venv_dir: Path, dev: bool) -> None:
    """The lab's lock (with `dev`, the tests' lock, which holds the lab's too) and the lab itself."""
    python = executable(venv_dir, "python")
    installer = os.environ.get("LAB_INSTALLER", "uv")
    if installer not in {"uv", "pip"}:
        sys.exit(f"lab_env: LAB_INSTALLER must be uv or pip, got {installer!r}")
    stamp_file = venv_dir / ".lab-installed"
    done = stamp_file.read_text().splitlines() if stamp_file.exists() else []
    if stamp_of("dev", installer) in done or (not dev and stamp_of("lab", installer) in done):
        return
    locks = [DEV_LOCK] if dev else [LAB_LOCK]
    if python.exists():
        found = subprocess.run([str(python), "-c", "import sys; print(sys.version.split()[0])"],
                               capture_output=True, text=True)
        if found.stdout.strip() != sys.version.split()[0]:
            sys.exit(f"lab_env: {venv_dir} runs Python {found.stdout.strip() or '(broken)'}, not "
                     f"{sys.version.split()[0]}: remove it (or pick another --venv) and run again")
    started = time.monotonic()
    uv = find_uv() if installer == "uv" else None
    if not python.exists():
        say(f"creating {venv_dir.name} with Python {sys.version.split()[0]} ({sys.executable})")
        if uv:  # much faster than the venv module's ensurepip; --seed still puts pip in the venv
            run(uv, "venv", "--quiet", "--seed", "--python", sys.executable, venv_dir)
        else:
            venv.EnvBuilder(with_pip=True).create(venv_dir)
    if installer == "uv" and not uv:
        uv = bootstrap_uv(venv_dir)
    for lock in locks:
        if uv:
            run(uv, "pip", "install", "--quiet", "--python", python, "-r", lock)
        else:
            run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", lock)
    if uv:
        run(uv, "pip", "install", "--quiet", "--python", python, "--no-deps", "-e", ROOT)
    else:
        run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "-e", ROOT)
    say(f"installed {' + '.join(lock.name for lock in locks)} into {venv_dir.name} with "
        f"{'uv' if uv else 'pip'} in {time.monotonic() - started:.1f} s")
    stamp_file.write_text(stamp_of("dev" if dev else "lab", installer) + "\n")


# The lab's Jupyter settings, written into an environment (its sys.prefix): file -> content.
KERNEL_CONFIG = """\
# Written by the asyncio lab's tools/lab_env.py: every IPython kernel of this environment loads the
# lab's extension (lab_setup): Stop reaches a cell while it awaits, in any notebook, and figures with a
# one-line summary show it under the image. Nothing outside this environment is changed.
c.InteractiveShellApp.extensions.append("lab_setup")
"""
SERVER_CONFIG = {"ServerApp": {"contents_manager_class": "lab_setup.server.LabContentsManager"}}
# JupyterLab's settings for everyone using this environment: nothing to dismiss on the first start.
LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def settings_files(prefix: Path) -> dict[Path, str]:
    return {
        prefix / "etc" / "ipython" / "ipython_kernel_config.py": KERNEL_CONFIG,
        prefix / "etc" / "jupyter" / "jupyter_server_config.json": json.dumps(SERVER_CONFIG, indent=2) + "\n",
        prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json":
            json.dumps(LAB_OVERRIDES, indent=2) + "\n",
    }


def configure(prefix: Path) -> None:
    """Write the lab's Jupyter and IPython settings into the environment at `prefix` (idempotent). Settings
    already there that are not the lab's are kept: ours are merged into a JSON file, added to a .py file."""
    for path, ours in settings_files(prefix).items():
        existing = path.read_text() if path.exists() else None
        if existing is None:
            content = ours
        elif path.suffix == ".json":  # settings of someone else's too: add ours to them
            merged = json.loads(existing or "{}")
            for section, values in json.loads(ours).items():
                merged[section] = {**merged.get(section, {}), **values}
            content = json.dumps(merged, indent=2) + "\n"
        elif ours in existing:
            content = existing
        else:  # someone else's Python settings: ours go after them
            content = existing.rstrip("\n") + "\n\n" + ours
        if content != existing:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv", help="the venv to set up (default .venv)")
    parser.add_argument("--dev", action="store_true", help="also install what the tests need")
    parser.add_argument("--find", metavar="X.Y", help="only print where a Python X.Y is, or exit 1")
    parser.add_argument("--configure-here", action="store_true",
                        help="install nothing: write the lab's Jupyter settings into this Python's environment")
    args = parser.parse_args(argv)
    if args.configure_here:
        configure(Path(sys.prefix))
        say(f"the lab's Jupyter settings are in {sys.prefix}")
        return 0
    if args.find:
        found = find_python(args.find)
        if found:
            print(found)
        return 0 if found else 1
    if sys.version_info < OLDEST:
        sys.exit(f"lab_env: the lab needs Python 3.11 or newer (asyncio.TaskGroup); this is {sys.version.split()[0]}")
    install(args.venv.resolve(), args.dev)
    configure(args.venv.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
