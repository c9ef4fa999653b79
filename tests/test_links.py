"""Markdown links, checked offline: every relative link in the template's documentation and in
each rendered project's README points at a file that exists (and at a heading that exists, when
it names one)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import TEMPLATE

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
EXTERNAL = ("http://", "https://", "mailto:")


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and MkDocs make it."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def broken_links(markdown: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", markdown.read_text(), flags=re.DOTALL)  # code is not linked
    broken = []
    for target in LINK.findall(text):
        if target.startswith(EXTERNAL):
            continue
        path, _, anchor = target.partition("#")
        file = (markdown.parent / path).resolve() if path else markdown
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", file.read_text(), flags=re.MULTILINE)
            if anchor not in {slug(h) for h in headings}:
                broken.append(target)
    return broken


DOCS = sorted([*TEMPLATE.glob("*.md"), *TEMPLATE.glob("docs/**/*.md"), *TEMPLATE.glob("hooks/*.md")])


@pytest.mark.parametrize("markdown", DOCS, ids=lambda p: p.relative_to(TEMPLATE).as_posix())
def test_template_docs_links_resolve(markdown):
    assert broken_links(markdown) == []


def test_rendered_readme_links_resolve(project):
    assert broken_links(project / "README.md") == []


def test_broken_links_are_found(tmp_path):
    (tmp_path / "there.md").write_text("# A heading\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](there.md) [gone](missing.md) [bad anchor](there.md#nope) [good](there.md#a-heading)\n")

    assert broken_links(page) == ["missing.md", "there.md#nope"]
