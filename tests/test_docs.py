"""The documentation site builds with `mkdocs build --strict`, and its answers reference, which
a hook generates from copier.yml at build time, lists every question."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys

import pytest

from .conftest import TEMPLATE, questions


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(directory)],
        check=False,
        cwd=TEMPLATE,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return directory


def test_site_builds_strictly_with_every_page(site):
    pages = {p.parent.name for p in site.glob("*/index.html")}

    assert {
        "getting-started",
        "answers",
        "project",
        "testing",
        "cicd",
        "terraform",
        "updating",
        "troubleshooting",
        "why",
        "add-a-pipeline",
        "local-run-failures",
    } <= pages
    assert not (site / "hooks").exists()


def test_answers_reference_lists_every_question(site):
    page = html.unescape((site / "answers" / "index.html").read_text())
    listed = re.findall(r"<tr>\s*<td><code>(\w+)</code></td>", page)

    assert listed == list(questions())
    assert "<!-- answers -->" not in page


def test_answers_reference_shows_values_as_yaml(site):
    page = html.unescape((site / "answers" / "index.html").read_text())

    assert "<code>[azure_devops]</code>" in page  # ci's default, as an answers file holds it
    assert "['" not in page  # no Python reprs


def test_home_page_links_the_new_users_pages(site):
    home = (site / "index.html").read_text()

    assert all(f'href="{page}/"' in home for page in ("why", "add-a-pipeline", "local-run-failures"))
