"""Golden snapshots: each canonical answer set renders exactly its tree under tests/snapshots/
(regenerate with `uv run python -m tests.snapshots` after an intended change)."""

from __future__ import annotations

import pytest

from . import snapshots
from .conftest import TEMPLATE, git, load_answers, render, tree


@pytest.mark.parametrize("answer_set", snapshots.CANONICAL)
def test_render_matches_the_snapshot(rendered, answer_set):
    expected = tree(snapshots.SNAPSHOTS / answer_set)
    actual = tree(rendered(answer_set))

    assert expected, "no snapshot: run `uv run python -m tests.snapshots`"
    diff = snapshots.differences(expected, actual)
    assert not diff, "the render differs from its snapshot (intended? `uv run python -m tests.snapshots`):\n" + diff


def test_one_changed_template_line_fails_with_a_readable_diff(tmp_path):
    """A copy of this template with one line of one file changed renders a tree whose diff
    against the snapshot names that file and shows that line."""
    source = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", str(TEMPLATE), str(source))
    gitignore = source / "template" / ".gitignore"
    gitignore.write_text(gitignore.read_text().replace("derby.log", "derby.log\n*.tmp", 1))
    project = render(tmp_path / "project", load_answers("default"), source=source)
    diff = snapshots.differences(tree(snapshots.SNAPSHOTS / "default"), tree(project))

    assert "--- snapshot/.gitignore" in diff
    assert "+*.tmp" in diff
    assert [line for line in diff.splitlines() if line.startswith("+++ ")] == ["+++ rendered/.gitignore"]
