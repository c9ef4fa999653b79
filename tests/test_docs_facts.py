"""Names and numbers that docs and comments state, held against the files they describe: paths
of this repository and of rendered projects, the tooling's module names, the tooling's version,
and the size decision 0008 gives the tooling. A rename or a release that forgets one fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from .conftest import TEMPLATE, repository_files

FOLDERS = (
    "tools",
    "tests",
    "includes",
    "docs",
    "hooks",
    "scripts",
    "benchmarks",
    "template",
    ".ci",
    ".github",
    "src",
    "resources",
)
PATH = re.compile(
    rf"(?<![\w/.<>{{}}-])((?:{'|'.join(map(re.escape, FOLDERS))})/[\w./-]*\.(?:py|yml|yaml|md|toml|jinja|json))\b"
)
MODULE = re.compile(r"(?<![\w/.<>{}-])([A-Za-z]\w*\.py)\b")
SNAPSHOTS = TEMPLATE / "tests" / "snapshots"


def _files() -> list[Path]:
    """The repository's files as Git sees them, snapshots aside."""
    return [TEMPLATE / name for name in repository_files() if "snapshots" not in name.split("/")]


def _rendered(path: Path) -> re.Pattern[str]:
    """The paths a template file renders to: its Jinja name parts stand for any word."""
    name = re.sub(r"\{%\s*yield .*?%\}(.*?)\{%\s*endyield\s*%\}", r"\1", path.as_posix().removesuffix(".jinja"))
    return re.compile(r"[\w-]+".join(map(re.escape, re.split(r"\{\{.*?\}\}", name))))


FILES = _files()
RENDERED = [
    _rendered(path.relative_to(TEMPLATE / "template")) for path in FILES if path.is_relative_to(TEMPLATE / "template")
]
PROSE = [
    path
    for path in FILES
    if path.suffix in {".md", ".jinja", ".yml", ".toml"}
    and not path.is_relative_to(TEMPLATE / "tests")
    or path.is_relative_to(TEMPLATE / "tools" / "src")
    or path.name == "run"
]


def _exists(named: str) -> bool:
    return (TEMPLATE / named).exists() or any(pattern.fullmatch(named) for pattern in RENDERED)


@pytest.mark.parametrize("path", PROSE, ids=lambda path: path.relative_to(TEMPLATE).as_posix())
def test_paths_named_in_docs_and_comments_exist(path):
    """A path in prose is a file of this repository or of a rendered project."""
    missing = sorted({m.group(1).rstrip(".") for m in PATH.finditer(path.read_text())} - {""})
    assert [named for named in missing if not _exists(named)] == []


def test_modules_named_in_the_tooling_and_its_docs_exist():
    """`service.py` and its kin, named bare in the tooling's docstrings and the pages that
    describe it, are modules that exist."""
    modules = {path.name for path in FILES if path.suffix == ".py"} | {
        path.name.removesuffix(".jinja") for path in FILES if path.name.endswith(".py.jinja")
    }
    pages = [*(TEMPLATE / "tools/src").rglob("*.py"), *(TEMPLATE / "docs").rglob("*.md"), TEMPLATE / "README.md"]
    named = {
        (page.relative_to(TEMPLATE).as_posix(), m.group(1)) for page in pages for m in MODULE.finditer(page.read_text())
    }

    assert sorted((page, module) for page, module in named if module not in modules) == []


def _newest_release() -> str:
    return re.search(r"^## (\d+\.\d+\.\d+) \(", (TEMPLATE / "CHANGELOG.md").read_text(), re.MULTILINE).group(1)


@pytest.mark.parametrize("pyproject", ["pyproject.toml", "tools/pyproject.toml", "template/tools/pyproject.toml.jinja"])
def test_versions_are_the_newest_release(pyproject):
    """The template, its tooling and the tooling every project gets carry the release they ship
    in (CHANGELOG.md's newest)."""
    text = (TEMPLATE / pyproject).read_text()
    version = re.search(r'^version = "([^"]+)"$', text, re.MULTILINE).group(1)
    if pyproject.endswith(".toml"):
        assert tomllib.loads(text)["project"]["version"] == version

    assert version == _newest_release()


def test_decision_0008_counts_the_tooling_about_right():
    decision = (TEMPLATE / "docs/decisions/0008-tooling-vendored-from-one-package.md").read_text()
    stated = int(re.search(r"about ([\d,]+) lines", decision).group(1).replace(",", ""))
    lines = sum(len(path.read_text().splitlines()) for path in (TEMPLATE / "tools/src").rglob("*.py"))

    assert abs(stated - lines) <= 0.15 * lines, f"the tooling has {lines} lines; decision 0008 says about {stated}"
