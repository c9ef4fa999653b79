"""Releases: CHANGELOG.md is their one record, and scripts/tag_releases.py derives the annotated
`vX.Y.Z` tags from it, so a clone that has lost its tags gets exactly the same ones back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import GIT_IDENTITY, TEMPLATE, git

SCRIPT = TEMPLATE / "scripts/tag_releases.py"


def changelog_versions(root: Path) -> list[str]:
    return re.findall(r"^## (\d+\.\d+\.\d+) \(", (root / "CHANGELOG.md").read_text(), flags=re.MULTILINE)


def tag_releases(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(root / "scripts/tag_releases.py")],
        cwd=root,
        env={"PATH": "/usr/bin:/bin", **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def clone(tmp_path) -> Path:
    """A clone of this repository without any tag, as CI may have it."""
    root = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", "--no-tags", str(TEMPLATE), str(root))
    return root


def test_the_changelog_entries_are_releases():
    text = (TEMPLATE / "CHANGELOG.md").read_text()
    entries = re.split(r"^## ", text, flags=re.MULTILINE)[1:]

    assert entries[0].startswith("Unreleased") and "migration:" in entries[0]
    assert all(re.match(r"\d+\.\d+\.\d+ \(\d{4}-\d{2}-\d{2}(, [0-9a-f]{7,40})?\)", entry) for entry in entries[1:])
    versions = [tuple(map(int, v.split("."))) for v in changelog_versions(TEMPLATE)]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)


def test_every_changelog_release_becomes_an_annotated_tag(clone):
    result = tag_releases(clone)

    assert result.returncode == 0, result.stderr
    newest = f"v{changelog_versions(clone)[0]}"
    assert git(clone, "tag", "--list", "v*").split() == sorted(f"v{v}" for v in changelog_versions(clone))
    assert git(clone, "cat-file", "-t", newest).strip() == "tag"  # annotated
    # A release's commit has its entry, unless the heading names the commit (v0.1.0 does).
    for version in changelog_versions(clone):
        if version != "0.1.0":
            assert f"## {version} (" in git(clone, "show", f"v{version}:CHANGELOG.md")
    assert git(clone, "rev-parse", "v0.1.0^{commit}").startswith("9270273")
    assert tag_releases(clone).stdout == ""  # nothing left to tag


def test_tags_here_are_the_ones_the_changelog_gives(clone):
    """Where this repository has release tags, they are where the changelog puts them."""
    tag_releases(clone)
    derived = {name: git(clone, "rev-parse", f"{name}^{{commit}}").strip() for name in git(clone, "tag").split()}
    here = {name: git(TEMPLATE, "rev-parse", f"{name}^{{commit}}").strip() for name in git(TEMPLATE, "tag").split()}

    assert {name: commit for name, commit in here.items() if name.startswith("v")}.items() <= derived.items()


def test_a_tag_elsewhere_than_the_changelog_says_is_refused(clone):
    git(clone, "tag", "v0.1.0", "HEAD")

    result = tag_releases(clone)

    assert result.returncode == 1 and "tag v0.1.0 is on" in result.stderr
