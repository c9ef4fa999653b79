"""Golden snapshots: the full rendered tree of the canonical answer set, kept under
tests/snapshots/<answer set>/ so that a reviewer sees every change a template edit makes to real
projects. Regenerate them after an intended change with:

    uv run python -m tests.snapshots
"""

from __future__ import annotations

import difflib
import shutil
import sys
import tempfile
from pathlib import Path

from .conftest import load_answers, render, tree

SNAPSHOTS = Path(__file__).parent / "snapshots"
CANONICAL = ["default"]


def differences(expected: dict[str, str], actual: dict[str, str]) -> str:
    """A unified diff of every file that differs, was added or was removed."""
    out: list[str] = []
    for name in sorted(set(expected) | set(actual)):
        if expected.get(name) != actual.get(name):
            out += difflib.unified_diff(
                expected.get(name, "").splitlines(keepends=True),
                actual.get(name, "").splitlines(keepends=True),
                fromfile=f"snapshot/{name}" if name in expected else "/dev/null",
                tofile=f"rendered/{name}" if name in actual else "/dev/null",
            )
    return "".join(out)


def write(answer_set: str, rendered: Path) -> None:
    target = SNAPSHOTS / answer_set
    shutil.rmtree(target, ignore_errors=True)
    for name, text in tree(rendered).items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("<binary: "):
            shutil.copyfile(rendered / name, target / name)
        else:
            (target / name).write_text(text)


def main() -> None:
    for answer_set in CANONICAL:
        with tempfile.TemporaryDirectory() as tmp:
            write(answer_set, render(Path(tmp) / "project", load_answers(answer_set)))
        print(f"tests/snapshots/{answer_set}/ written", file=sys.stderr)


if __name__ == "__main__":
    main()
