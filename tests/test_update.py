"""Update tier: a project made by an earlier version of this template, committed and then edited
as a team would, updates to HEAD with `copier update` without conflicts, keeps every edit, and
equals a fresh HEAD render with the same edits. Answer changes (adding and removing a pipeline)
go through updates too.

Copier exits 0 even when it leaves conflict markers, so every test looks for them. Projects made
from HEAD can only be updated when HEAD is a real commit: run these on a clean tree, as CI does."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from copier import run_update
from copier.errors import UnsafeTemplateError

from . import bundle_schema
from .conftest import TEMPLATE, git, load_answers, render, tree

# The first complete version of the template (foundation, local runs, integration tests): the
# oldest a project can have been made with. Tagged v0.1.0 where tags are cloned.
OLD = "9270273"
MARKERS = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)


def generate(destination: Path, answers: dict, vcs_ref: str) -> Path:
    render(destination, answers, vcs_ref=vcs_ref)
    git(destination, "init", "-q")
    commit_all(destination, "Generated")
    return destination


def update(project: Path, **data) -> None:
    run_update(str(project), data=data, defaults=True, overwrite=True, conflict="inline", vcs_ref="HEAD", quiet=True)


Edit = Callable[[Path], None]


def team_edits(answers: dict) -> dict[str, Edit]:
    """The edits a team makes, each keyed by the text that proves it is still there."""
    slug, pipeline = answers["project_slug"], answers["pipelines"][0]
    gold = f"src/{slug}/{pipeline}/transformations/{pipeline}_gold.py"

    def change(path: str, old: str, new: str) -> Edit:
        def edit(root: Path) -> None:
            text = (root / path).read_text()
            assert old in text, f"{path} no longer has {old!r}"
            (root / path).write_text(text.replace(old, new, 1))

        return edit

    def append(path: str, line: str) -> Edit:
        return lambda root: (root / path).write_text((root / path).read_text() + line + "\n")

    def create(path: str, text: str) -> Edit:
        return lambda root: (root / path).write_text(text)

    return {
        "per day and category, reviewed by the team": change(
            gold, "per day and category", "per day and category, reviewed by the team"
        ),
        "def test_team_rule": create("tests/unit/test_team.py", "def test_team_rule():\n    assert 1 + 1 == 2\n"),
        "Team notes: deploys on Tuesdays.": append("README.md", "\nTeam notes: deploys on Tuesdays."),
        "# Owned by the data platform team.": append("databricks.yml", "# Owned by the data platform team."),
    }


def assert_clean_merge(project: Path) -> None:
    assert git(project, "ls-files", "-u") == "", "unmerged paths"
    assert [name for name, text in tree(project).items() if MARKERS.search(text)] == [], "conflict markers"
    assert list(project.rglob("*.rej")) == []
    git(project, "add", "-A")
    git(project, "diff", "--cached", "--check")  # whitespace errors and markers: raises on any


@pytest.mark.parametrize("answer_set", ["default", "multi_pipeline"])
def test_update_from_the_first_version_keeps_every_edit(tmp_path, answer_set):
    answers = load_answers(answer_set)
    project = generate(tmp_path / "project", answers, OLD)
    edits = team_edits(yaml.safe_load((project / ".copier-answers.yml").read_text()))
    for edit in edits.values():
        edit(project)
    commit_all(project, "Team edits")

    update(project, **answers)  # the answers to questions the first version did not ask yet

    assert_clean_merge(project)
    text = "\n".join(tree(project).values())
    assert [proof for proof in edits if proof not in text] == []
    fresh = render(tmp_path / "fresh", answers)
    for edit in edits.values():
        edit(fresh)
    assert tree(project) == tree(fresh)


def test_a_conflicting_edit_leaves_inline_markers(tmp_path):
    """An edit to a line the template changed since: the file gets inline conflict markers (not a
    .rej file), the rest of the update applies."""
    project = generate(tmp_path / "project", {}, OLD)
    readme = project / "README.md"
    old_line = next(line for line in readme.read_text().splitlines() if line.startswith("uv sync "))
    readme.write_text(readme.read_text().replace(old_line, "uv sync            # the team's own words"))
    commit_all(project, "Team edit on a line the template changes")

    update(project)

    text = readme.read_text()
    assert "<<<<<<< " in text and ">>>>>>> " in text
    assert "the team's own words" in text and "commit uv.lock" in text
    assert list(project.rglob("*.rej")) == []
    assert (project / ".azuredevops/pipelines/ci.yml").is_file()  # the rest applied


def bundle_problems(project: Path) -> dict[str, list[str]]:
    files = [project / "databricks.yml", *sorted(project.glob("resources/*.yml"))]
    return {p.name: found for p in files if (found := bundle_schema.errors(yaml.safe_load(p.read_text())))}


def test_adding_and_removing_a_pipeline_through_update(tmp_path):
    """docs/add-a-pipeline.md: a change-feed pipeline joins a project of one file pipeline with its
    own files only (the lists that name every pipeline gain it), the team's edits in the other
    pipeline and the README kept; removing it gives back the project as it was."""
    project = generate(tmp_path / "project", {"pipelines": ["orders"]}, "HEAD")
    logic = project / "src/lakeflow_project/orders/logic.py"
    logic.write_text(logic.read_text() + "\n# Reviewed by the team.\n")
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nTeam notes: orders first.\n")
    commit_all(project, "Team edits")
    before = tree(project)

    update(project, pipelines=["orders", "customers"], pipeline_sources={"customers": "cdc_scd2"})

    assert_clean_merge(project)
    after = tree(project)
    added = set(after) - set(before)
    changed = {name for name in before if after.get(name) != before[name]}
    assert {
        "resources/customers.pipeline.yml",
        "resources/customers.integration_test.job.yml",
        "src/lakeflow_project/customers/logic.py",
        "src/lakeflow_project/customers/transformations/customers_changes.py",
        "tests/unit/test_customers_logic.py",
        "tests/data/customers/landing/customers-changes-0002.json",
    } <= added
    assert [name for name in added if "customers" not in name] == ["tests/unit/test_auto_cdc.py"]
    lists = {".copier-answers.yml", "README.md", "resources/integration_tests.job.yml"}
    assert changed - lists <= {
        f"tests/pipelines/{name}" for name in ("expected.py", "test_graph.py", "test_local_run.py")
    }
    assert after[str(logic.relative_to(project))].endswith("# Reviewed by the team.\n")
    assert "Team notes: orders first." in readme.read_text()
    assert "customers: cdc_scd2" in after[".copier-answers.yml"]
    assert bundle_problems(project) == {}
    commit_all(project, "Add customers")

    update(project, pipelines=["orders"], pipeline_sources={})  # as docs/add-a-pipeline.md says

    assert_clean_merge(project)
    after = tree(project)
    assert [name for name in after if "customers" in name or "auto_cdc" in name.split("/")[-1]] == [
        "src/lakeflow_project/auto_cdc.py"  # the pipeline API's, in every project
    ]
    assert yaml.safe_load(after.pop(".copier-answers.yml"))["pipeline_sources"] == {}
    before.pop(".copier-answers.yml")
    assert after == before  # everything else as it was, the team's edits included
    assert bundle_problems(project) == {}


def test_projects_record_the_version_they_were_made_with(tmp_path):
    project = generate(tmp_path / "project", {}, OLD)

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"]
    assert recorded == git(TEMPLATE, "describe", "--tags", "--always", OLD).strip()


def test_a_release_that_moves_a_file_keeps_the_teams_edits_in_it(tmp_path):
    """Two synthetic releases of this template: the second renames a rendered file and declares
    hooks/move_files.py as its migration. A project updated across it keeps its edit in the
    renamed file; without --trust the update refuses and changes nothing."""
    source = tmp_path / "template"
    git(tmp_path, "clone", "--quiet", str(TEMPLATE), str(source))
    git(source, "tag", "v90.0.0")
    old, new = "tests/pipelines/expected.py", "tests/pipelines/gold_expected.py"
    git(source, "mv", f"template/{old}.jinja", f"template/{new}.jinja")
    migration = "\n".join(
        f"""  - version: v90.1.0
    when: "{{{{ _stage == '{stage}' }}}}"
    command: [python3, "{{{{ _copier_conf.src_path }}}}/hooks/move_files.py", {stage}, {old}, {new}]"""
        for stage in ("before", "after")
    )
    settings = source / "copier.yml"
    settings.write_text(settings.read_text().replace("_migrations: []", "_migrations:\n" + migration))
    commit_all(source, "Move expected.py")
    git(source, "tag", "v90.1.0")

    project = render(tmp_path / "project", source=source, vcs_ref="v90.0.0")
    git(project, "init", "-q")
    commit_all(project, "Generated")
    (project / old).write_text((project / old).read_text() + "# Checked by the team.\n")
    commit_all(project, "Team edit")
    before = tree(project)

    with pytest.raises(UnsafeTemplateError):
        run_update(str(project), defaults=True, overwrite=True, vcs_ref="v90.1.0", quiet=True)
    assert tree(project) == before
    run_update(
        str(project), defaults=True, overwrite=True, conflict="inline", vcs_ref="v90.1.0", quiet=True, unsafe=True
    )

    assert_clean_merge(project)
    assert not (project / old).exists()
    assert (project / new).read_text() == before[old]
    assert not (project / ".git" / "copier-lakeflow-moves").exists()


def test_switching_optional_parts_off_and_on_through_update(tmp_path):
    """The parts includes/excluded.jinja leaves out come and go with their answers: switched off,
    their files leave the project; switched on again, they come back as they were."""
    project = generate(tmp_path / "project", {"terraform": True, "ci": ["azure_devops", "github_actions"]}, "HEAD")
    before = tree(project)

    update(project, terraform=False, ci=["azure_devops"], pipeline_language="sql")

    assert_clean_merge(project)
    after = tree(project)
    assert [name for name in after if name.startswith(("terraform/", ".github/"))] == []
    assert ".azuredevops/pipelines/templates/terraform-steps.yml" not in after
    assert "src/lakeflow_project/orders/logic.py" not in after
    assert "src/lakeflow_project/orders/transformations/orders_gold.sql" in after
    commit_all(project, "Parts off")

    update(project, terraform=True, ci=["azure_devops", "github_actions"], pipeline_language="python")

    assert_clean_merge(project)
    assert tree(project) == before
