"""The learner's workspace: `my-lab/` beside `notebooks/`, their own copies of the lessons.

    sync(checkout)              # create what is missing; never touch what the learner changed
    reset(checkout, "03")       # a fresh copy of one lesson (the old one is kept in my-lab/.backup/)

`my-lab/` mirrors `notebooks/` (lessons, `deeper/`, `scripts/`, any data beside them), so every
relative link a lesson holds (`../docs/glossary.md#term`, `../../docs/...` from `deeper/`, another
lesson by file name, `scripts/...`) resolves the same from the copy. In each learner copy every block
from a `### BEGIN SOLUTION` line to its `### END SOLUTION` line becomes, at the same indentation,

    # YOUR CODE HERE
    raise NotImplementedError

and every output and execution count is cleared; everything else is kept.

Never overwritten: `my-lab/.lab-copies.json` records what was written for each file. A file the
learner changed (or that JupyterLab saved) stays as it is; a lesson added later appears; a copy
still exactly as written is refreshed when its lesson changes. Only `reset` replaces a changed copy,
and it keeps the old one in `my-lab/.backup/`. Standard library only: the Jupyter server imports this.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LEARNER_DIR = "my-lab"
REFERENCE_DIR = "notebooks"
MANIFEST = ".lab-copies.json"
BACKUP_DIR = ".backup"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
SKIP = {"__pycache__", ".ipynb_checkpoints"}


class MarkerError(ValueError):
    """A solution marker without its partner."""


def strip_solutions(source: str) -> str:
    """Replace each BEGIN/END SOLUTION block in a cell's source with the stub."""
    out: list[str] = []
    indent: str | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if indent is not None:
                raise MarkerError(f"line {number}: {BEGIN} inside another solution block")
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in STUB)
        elif marker == END:
            if indent is None:
                raise MarkerError(f"line {number}: {END} without {BEGIN}")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise MarkerError(f"{BEGIN} without {END}")
    return "\n".join(out)


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def has_solution(cell: dict[str, Any]) -> bool:
    return cell["cell_type"] == "code" and BEGIN in _text(cell["source"])


def learner_copy(notebook: dict[str, Any], name: str = "notebook") -> dict[str, Any]:
    """The notebook with every solution replaced by the stub and every output cleared."""
    copy = json.loads(json.dumps(notebook))
    for index, cell in enumerate(copy["cells"]):
        if cell["cell_type"] != "code":
            continue
        if has_solution(cell):
            try:
                cell["source"] = strip_solutions(_text(cell["source"]))
            except MarkerError as exc:
                raise MarkerError(f"{name}, cell {index}: {exc}") from None
        cell["outputs"] = []
        cell["execution_count"] = None
    return copy


def is_checkout(folder: Path) -> bool:
    """A copy of the lab (a git checkout, Binder's image, a hub's pull): lessons and the docs they link."""
    return (folder / REFERENCE_DIR).is_dir() and (folder / "docs" / "glossary.md").is_file()


def sources(reference: Path) -> list[Path]:
    """Every file under `reference` a learner copy needs, relative to it: lessons and what they use."""
    found = []
    for path in sorted(reference.rglob("*")):
        relative = path.relative_to(reference)
        if path.is_file() and not SKIP & set(relative.parts) and not relative.name.startswith("."):
            found.append(relative)
    return found


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _copy_bytes(source: Path) -> bytes:
    if source.suffix != ".ipynb":
        return source.read_bytes()
    notebook = json.loads(source.read_text(encoding="utf-8"))
    text = json.dumps(learner_copy(notebook, source.name), indent=1, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


@dataclass
class Synced:
    """What sync() did, relative paths in each list."""

    created: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # changed by the learner: left alone


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return manifest if isinstance(manifest, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)


def sync(checkout: Path, out: Path | None = None, reference: Path | None = None) -> Synced:
    """Bring `out` (default checkout/my-lab) up to date with the lessons, never overwriting the learner's work."""
    reference = reference or checkout / REFERENCE_DIR
    out = out or checkout / LEARNER_DIR
    out.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out)
    done = Synced()
    changed = False
    for relative in sources(reference):
        key, source, target = relative.as_posix(), reference / relative, out / relative
        stat = source.stat()
        seen = [stat.st_mtime_ns, stat.st_size]
        record = manifest.get(key)
        if target.exists():
            if not isinstance(record, dict) or _digest(target.read_bytes()) != record.get("written"):
                done.kept.append(key)  # the learner's (or saved by JupyterLab): theirs
                continue
            if record.get("source") == seen:
                continue  # as written, from the same lesson
        data = _copy_bytes(source)
        existed = target.exists()
        if not existed or target.read_bytes() != data:
            _write(target, data)
            (done.refreshed if existed else done.created).append(key)
        manifest[key] = {"source": seen, "written": _digest(data)}
        changed = True
    if changed:
        _write(out / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return done


def find_lesson(reference: Path, lesson: str) -> Path:
    """The lesson a learner names: '03', '03_error_propagation', or its file name (also under deeper/)."""
    lessons = [p for p in sources(reference) if p.suffix == ".ipynb"]
    wanted = lesson.removesuffix(".ipynb")
    exact = [p for p in lessons if p.stem == wanted or p.with_suffix("").as_posix() == wanted]
    matches = exact or [p for p in lessons if p.stem.startswith(wanted) or p.as_posix().startswith(wanted)]
    if len(matches) != 1:
        names = ", ".join(p.as_posix() for p in (matches or lessons))
        raise LookupError(f"{lesson!r} names {'no lesson' if not matches else 'several lessons'}: {names}")
    return matches[0]


def reset(checkout: Path, lesson: str, out: Path | None = None) -> tuple[Path, Path | None]:
    """Replace the learner's copy of one lesson with a fresh one; return it and where the old one went."""
    reference = checkout / REFERENCE_DIR
    out = out or checkout / LEARNER_DIR
    relative = find_lesson(reference, lesson)
    target = out / relative
    backup = None
    if target.exists():
        backup = out / BACKUP_DIR / f"{relative.stem}-{time.strftime('%Y%m%d-%H%M%S')}{relative.suffix}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
    data = _copy_bytes(reference / relative)
    _write(target, data)
    manifest = _read_manifest(out)
    stat = (reference / relative).stat()
    manifest[relative.as_posix()] = {"source": [stat.st_mtime_ns, stat.st_size], "written": _digest(data)}
    _write(out / MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode())
    return target, backup


def workspace_of(folder: Path) -> Path | None:
    """The learner folder holding `folder` (or `folder` itself): the nearest with sync()'s record."""
    for candidate in (folder, *folder.parents):
        if (candidate / MANIFEST).is_file():
            return candidate
    return None
