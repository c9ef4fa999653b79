"""The README's render command works as written, without --trust, and the template runs no code."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import yaml

from .conftest import TEMPLATE, copier_settings


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=TEMPLATE, capture_output=True, text=True, check=True).stdout


def readme_command(prefix: str) -> list[str]:
    commands = re.findall(r"^(uv run .+)$", (TEMPLATE / "README.md").read_text(), flags=re.MULTILINE)
    [command] = [c for c in commands if c.startswith(prefix)]
    return shlex.split(command)


def test_readme_has_exactly_the_two_commands():
    commands = re.findall(r"```bash\n(.+?)\n```", (TEMPLATE / "README.md").read_text(), flags=re.DOTALL)

    assert commands == ["uv run copier copy --defaults --vcs-ref=HEAD . ../my-lakeflow-project", "uv run pytest"]


def test_render_command_needs_no_trust(tmp_path):
    command = readme_command("uv run copier copy")
    assert "--trust" not in command and "--UNSAFE" not in command
    destination = tmp_path / "my-lakeflow-project"
    command[command.index("../my-lakeflow-project")] = str(destination)

    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    result = subprocess.run(
        command, check=False, cwd=TEMPLATE, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )

    assert result.returncode == 0, result.stderr
    assert (destination / "databricks.yml").is_file()
    assert "Next steps" in result.stderr + result.stdout
    # The clone as it is, not its newest release tag: a render of a tag records the bare tag.
    recorded = yaml.safe_load((destination / ".copier-answers.yml").read_text())["_commit"]
    tags_at_head = git("tag", "--points-at", "HEAD").split()
    assert recorded in tags_at_head or re.fullmatch(r"(v[\d.]+-\d+-g)?[0-9a-f]{7,}", recorded), recorded


def test_template_runs_no_code_on_copy():
    assert not {"_tasks", "_jinja_extensions"} & set(copier_settings())
