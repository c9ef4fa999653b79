"""Tag every release of CHANGELOG.md that has no tag yet: `vX.Y.Z`, annotated, at the commit that
added the release's heading (`## X.Y.Z (YYYY-MM-DD)`), or at the commit the heading names
(`## X.Y.Z (YYYY-MM-DD, <commit>)`, for a release tagged after the fact).

    python scripts/tag_releases.py [--push REMOTE]

The changelog is the one record of releases; tags follow from it, so a clone that lost its tags
gets the same ones back. Run by the template's CI on main, which pushes them.
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADING = re.compile(r"^## (\d+\.\d+\.\d+) \((\d{4}-\d{2}-\d{2})(?:, ([0-9a-f]{7,40}))?\)$", re.MULTILINE)


def git(*args: str, root: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def releases(root: Path = ROOT) -> dict[str, str]:
    """Each release's tag and the commit it belongs on, oldest first."""
    found = {}
    for version, _, commit in reversed(HEADING.findall((root / "CHANGELOG.md").read_text())):
        if not commit:
            added = git("log", "--format=%H", "--reverse", "-S", f"## {version} (", "--", "CHANGELOG.md", root=root)
            if not added:
                raise SystemExit(f"CHANGELOG.md: release {version} is not committed yet")
            commit = added.splitlines()[0]
        found[f"v{version}"] = git("rev-parse", "--verify", f"{commit}^{{commit}}", root=root)
    return found


def tag(root: Path = ROOT) -> list[str]:
    """Create the missing tags; an existing tag on another commit is an error."""
    created = []
    for name, commit in releases(root).items():
        existing = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/tags/{name}^{{commit}}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if existing and existing != commit:
            raise SystemExit(f"tag {name} is on {existing[:12]}, but CHANGELOG.md puts the release on {commit[:12]}")
        if not existing:
            git("tag", "--annotate", name, commit, "--message", f"copier-lakeflow {name[1:]}", root=root)
            created.append(name)
    return created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--push", metavar="REMOTE", help="push the release tags to this remote")
    args = parser.parse_args()
    for name in tag():
        print(f"tagged {name}")
    if args.push:
        git("push", args.push, *(f"refs/tags/{name}" for name in releases()))


if __name__ == "__main__":
    main()
