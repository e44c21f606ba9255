"""Print a notebook's code cells with their text outputs: a quick read of what a learner sees.

    python tools/show_outputs.py notebooks/01_basic_gather.ipynb
"""

import json
import sys


def text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def main(path: str) -> None:
    for index, cell in enumerate(json.load(open(path))["cells"]):
        if cell["cell_type"] != "code":
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        print(f"--- cell {index} {tags if tags else ''}")
        print(text(cell["source"]))
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                print(f"[{out['name']}] " + text(out["text"]).rstrip())
            elif out["output_type"] == "error":
                print(f"[error] {out['ename']}: {out['evalue']}")
            else:
                data = out.get("data", {})
                kinds = ",".join(k for k in data if k != "text/plain")
                print("[out] " + text(data.get("text/plain", "")).rstrip() + (f"  ({kinds})" if kinds else ""))


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        main(arg)
