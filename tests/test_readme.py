"""The README's commands work as written: the render command without --trust, and, word for word
as a new user would, a project made with it updates from inside itself with the command its own
README gives, keeping the user's edit. The template runs no code."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

from .conftest import GIT_IDENTITY, TEMPLATE, copier_settings, git, outside_env

VERSIONS = yaml.safe_load((TEMPLATE / "includes/versions.yml").read_text())


def bash(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """A command as a user types it, in a shell outside this repository's virtual environment."""
    env = outside_env() | GIT_IDENTITY
    return subprocess.run(
        ["bash", "-c", command],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


def fenced_bash(readme: Path) -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", readme.read_text(), flags=re.DOTALL)


def test_readme_has_exactly_the_two_commands():
    assert fenced_bash(TEMPLATE / "README.md") == [
        'uv run copier copy --defaults "$PWD" ../my-lakeflow-project',
        "uv run pytest",
    ]


def render_command() -> str:
    command = fenced_bash(TEMPLATE / "README.md")[0]
    assert "--trust" not in command and "--UNSAFE" not in command
    return command


def newest_release(root: Path) -> str | None:
    tags = git(root, "tag", "--list", "v*", "--sort=-v:refname").split()
    return tags[0] if tags else None


def test_render_command_needs_no_trust_and_records_a_source_that_works_anywhere(tmp_path):
    destination = tmp_path / "my-lakeflow-project"
    result = bash(render_command().replace("../my-lakeflow-project", str(destination)), cwd=TEMPLATE)

    assert result.returncode == 0, result.stderr
    assert (destination / "databricks.yml").is_file()
    assert "Next steps" in result.stderr + result.stdout
    recorded = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    assert Path(recorded["_src_path"]).is_absolute() and Path(recorded["_src_path"]) == TEMPLATE
    # The newest release, or the clone's HEAD where it has no release tag.
    assert recorded["_commit"] == (newest_release(TEMPLATE) or git(TEMPLATE, "describe", "--tags", "--always").strip())


def test_the_project_updates_itself_with_its_readme_command(tmp_path):
    """Word for word: clone, render with the README's command, `git init` and commit as Copier's
    message says, edit as a user; the template gets a new release; then the project's README
    update command, run from inside the project, brings it in and keeps the edit."""
    template = tmp_path / "copier-lakeflow"
    git(tmp_path, "clone", "--quiet", str(TEMPLATE), str(template))
    assert bash(render_command(), cwd=template).returncode == 0
    project = tmp_path / "my-lakeflow-project"
    first_commit = re.search(r"^\s*(git init .+?)\s*$", copier_settings()["_message_after_copy"], re.MULTILINE)
    assert bash(first_commit.group(1), cwd=project).returncode == 0
    readme = project / "README.md"
    readme.write_text(readme.read_text() + "\nTeam notes: deploys on Tuesdays.\n")
    git(project, "commit", "-qam", "Team notes")

    # A new release of the template: a change, its CHANGELOG entry, its tag.
    source = template / "template/README.md.jinja"
    source.write_text(source.read_text().replace("\n## Layout\n", "\nSee the runbook.\n\n## Layout\n", 1))
    changelog = template / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("## Unreleased\n", "## Unreleased\n\n## 99.0.0 (2099-01-01)\n", 1)
    )
    git(template, "commit", "-qam", "Release 99.0.0: a runbook link")
    assert bash("python3 scripts/tag_releases.py", cwd=template).returncode == 0

    commands = [line.strip() for block in fenced_bash(readme) for line in block.splitlines()]
    update = next(line.split("#")[0] for line in commands if re.match(r"uvx copier@\S+ update --defaults +#", line))
    result = bash(update, cwd=project)

    assert result.returncode == 0, result.stderr[-3000:]
    text = readme.read_text()
    assert "See the runbook." in text and "Team notes: deploys on Tuesdays." in text
    assert "<<<<<<<" not in text
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v99.0.0"


def test_project_readme_pins_the_copier_the_template_is_tested_with():
    pinned = tomllib.loads((TEMPLATE / "pyproject.toml").read_text())["dependency-groups"]["dev"]

    assert f"copier=={VERSIONS['copier_version']['default']}" in pinned


def test_template_runs_no_code_on_copy():
    assert not {"_tasks", "_jinja_extensions"} & set(copier_settings())
