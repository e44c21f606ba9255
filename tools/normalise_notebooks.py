"""Normalise notebooks so that a diff shows what a lesson says and shows, not what one run left behind.

    python tools/normalise_notebooks.py                  # every notebook under notebooks/, in place
    python tools/normalise_notebooks.py --check          # exit 1 naming each notebook that is not normalised
    python tools/normalise_notebooks.py notebooks/07_bounded_concurrency.ipynb ...

Outputs are kept (they are the lesson's evidence, compared by nbval); what changes from run to run and
is no lesson goes:
- fakeapi's port (new on every run) in every text output: `127.0.0.1:PORT`, as nbval masks it;
- per-run metadata: nbstripout's list (each cell's `metadata.execution` timestamps, `ExecuteTime`,
  `collapsed`, `scrolled`, ..., and the notebook's `metadata.widgets` model state);
- widget views: the model id (new on every run) goes, the widget's text form (what nbval compares) stays;
- a stream's consecutive chunks (stdout, stderr) become one output: how a cell's prints are split into
  messages changes from run to run; JupyterLab shows and saves them as one, and nbval compares them joined;
- tracebacks (never compared by nbval): ANSI colour codes, and absolute paths made relative
  (`.../lib/python3.14/site-packages/aiohttp/...` -> `site-packages/aiohttp/...`, the stdlib ->
  `lib/python3.14/...`, ipykernel's temporary cell files -> `<cell>`, this repository -> `lab/...`);
- outputs of cells tagged `nbval-ignore-output` (which nbval never compares; they show what one Python
  did): the same paths made relative, and object addresses (`0x7f...`) masked;
- execution counts are numbered 1, 2, ... over the executed code cells, as a fresh Run All numbers them.
Cell ids are kept (docs/ cites cells by id). The file is written as Jupyter writes it (nbformat), so a
save from JupyterLab followed by this script gives the same bytes as `make notebooks`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
from nbstripout import strip_output

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_GLOBS = ("notebooks/*.ipynb", "notebooks/deeper/*.ipynb")
FIX = "make normalise"  # or: .venv/bin/python tools/normalise_notebooks.py

# nbstripout's own default list of per-run keys (nbstripout 0.9.1, _nbstripout.main).
PER_RUN_KEYS = [
    "metadata.signature", "metadata.widgets",
    "cell.metadata.collapsed", "cell.metadata.ExecuteTime", "cell.metadata.execution",
    "cell.metadata.heading_collapsed", "cell.metadata.hidden", "cell.metadata.scrolled",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PATH = r"(?:[A-Za-z]:)?[/~\\][^\s\"'(),]*?"  # an absolute path's start, up to the part we keep
TRACEBACK_PATHS = [
    # (also a path IPython printed relative to the kernel's folder, such as ../.venv-3.14/lib/...)
    (re.compile(r"(?:[A-Za-z]:)?[^\s\"'(),]*?[/\\]lib[/\\]python3\.\d+t?[/\\]site-packages[/\\]"), "site-packages/"),
    (re.compile(_PATH + r"[/\\](lib[/\\]python3\.\d+t?[/\\])"), r"\1"),
    (re.compile(_PATH + r"[/\\]ipykernel_\d+[/\\]\d+\.py"), "<cell>"),
    # this repository, wherever it was cloned (greedy: the last folder before one of the repository's own)
    (re.compile(r"(?:[A-Za-z]:)?[/~\\][^\s\"'(),]*[/\\](?=(?:lab|fakeapi|notebooks|tests|tools|bench)[/\\])"), ""),
]


def clean_traceback_line(line: str) -> str:
    line = ANSI.sub("", line)
    for pattern, replacement in TRACEBACK_PATHS:
        line = pattern.sub(replacement, line)
    return line.replace(f"{ROOT}{os.sep}", "")


IGNORED = "nbval-ignore-output"
ADDRESS = re.compile(r"\b0x[0-9a-f]{8,}\b")
PORT = re.compile(r"127\.0\.0\.1:\d+")  # fakeapi's port, new on every run; nbval masks it the same way
MASKED_PORT = "127.0.0.1:PORT"  # what tests/nbval_sanitize.cfg puts in its place
TEXT_TYPES = ("text/plain", "text/html", "text/markdown")


def mask_ports(text: str | list[str]) -> str:
    return PORT.sub(MASKED_PORT, "".join(text))


def clean_shown_text(text: str | list[str]) -> str:
    """An output nbval does not compare (a version-dependent cell's): paths relative, object addresses masked."""
    joined = "".join(text)
    return "\n".join(ADDRESS.sub("0x…", clean_traceback_line(line)) for line in joined.split("\n"))


def joined_streams(outputs: list[Any]) -> list[Any]:
    """The outputs, each run of consecutive chunks of one stream joined into the first of them."""
    joined: list[Any] = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream" and previous.get("name") == output.get("name")):
            previous["text"] = "".join(previous["text"]) + "".join(output["text"])
        else:
            joined.append(output)
    return joined


def normalise(nb: Any) -> Any:
    """The notebook (an nbformat NotebookNode), normalised in place and returned."""
    strip_output(nb, keep_output=True, keep_count=True, keep_id=True, extra_keys=PER_RUN_KEYS)
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "outputs" in cell:
            cell.outputs = joined_streams(cell.outputs)
        if cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = cell.execution_count
            data = output.get("data", {})
            if WIDGET_VIEW in data and "text/plain" in data:
                del data[WIDGET_VIEW]
            for kind in TEXT_TYPES:
                if kind in data:
                    data[kind] = mask_ports(data[kind])
            if "text" in output:
                output["text"] = mask_ports(output["text"])
            if output.get("output_type") == "error":
                output["evalue"] = mask_ports(output.get("evalue", ""))
                output["traceback"] = [mask_ports(clean_traceback_line(line)) for line in output.get("traceback", [])]
            elif IGNORED in cell.get("metadata", {}).get("tags", []):  # never compared: paths and addresses go
                if "text" in output:
                    output["text"] = clean_shown_text(output["text"])
                if "text/plain" in data:
                    data["text/plain"] = clean_shown_text(data["text/plain"])
    return nb


def normalised_text(path: Path) -> tuple[str, str]:
    """(the file's text, the text it has once normalised)."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    return text, nbformat.writes(normalise(nb)) + "\n"


def notebooks() -> list[Path]:
    return sorted(path for pattern in NOTEBOOK_GLOBS for path in ROOT.glob(pattern))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook is not normalised")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb, notebooks/deeper/)")
    args = parser.parse_args(argv)
    stale = []
    for path in args.paths or notebooks():
        text, normal = normalised_text(path)
        if text == normal:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(normal, encoding="utf-8")
            print(f"normalised {path}")
    if args.check and stale:
        listed = "\n  ".join(map(str, stale))
        print(f"not normalised (run `{FIX}` and commit the result):\n  {listed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
