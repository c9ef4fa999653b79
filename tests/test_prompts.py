"""The questions as a new user meets them: `copier copy` in a pseudo-terminal (as Copier's own
tests drive it), answered key by key. The short path asks six questions and renders the project
that `--defaults` renders; choosing to customise shows every other question."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pexpect
import pyte
import pytest
import yaml

from .conftest import TEMPLATE, git, questions, render, tree

ENTER, DOWN, CLEAR_LINE = "\r", "\x1b[B", "\x15"  # ctrl-u: empty an input that shows its default
SHORT_PATH = ["project_name", "pipelines", "pipeline_language", "environments", "ci", "customise"]


def first_line_of_help(question: str) -> str:
    return questions()[question]["help"].splitlines()[0].strip()


def copier_in_a_terminal(destination: Path, *command: str) -> pexpect.spawn:
    """`copier copy` of this template into destination, or another command run inside it."""
    # PROMPT_TOOLKIT_NO_CPR: prompt_toolkit asks a terminal where its cursor is and, after each
    # answer, waits a second for a reply that a pseudo-terminal never sends.
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24", "PROMPT_TOOLKIT_NO_CPR": "1"}
    args = list(command) or ["copy", "--vcs-ref", "HEAD", str(TEMPLATE), str(destination)]
    return pexpect.spawn(
        sys.executable,
        ["-m", "copier", *args],
        cwd=str(destination) if command else None,
        env=env,
        encoding="utf-8",
        dimensions=(24, 80),
        timeout=60,
    )


def answer(terminal: pexpect.spawn, question: str, *keys: str) -> None:
    """Wait for the question's help, then type the keys and enter."""
    terminal.expect_exact(first_line_of_help(question))
    for key in keys:
        terminal.send(key)
    terminal.send(ENTER)


def finish(terminal: pexpect.spawn) -> str:
    terminal.expect(pexpect.EOF, timeout=120)
    terminal.close()
    assert terminal.exitstatus == 0, terminal.before
    return terminal.before


class Screen:
    """What the 80-column terminal shows, emulated by pyte from everything the program wrote:
    prompt_toolkit redraws only the part of a line that changed, so the stream alone does not
    say what a line reads."""

    def __init__(self, terminal: pexpect.spawn):
        self.terminal = terminal
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.Stream(self.screen)
        terminal.logfile_read = self  # pexpect hands this everything it reads

    def write(self, text: str) -> None:
        self.stream.feed(text)

    def flush(self) -> None:
        pass

    def line_with(self, text: str, timeout: float = 30) -> str:
        """The screen's line that shows text whole, once the program has drawn it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.screen.display:
                if text in line:
                    return line.rstrip()
            self.terminal.expect([pexpect.TIMEOUT], timeout=0.1)  # read what came meanwhile
        raise AssertionError(f"no line of the screen shows {text!r}:\n" + "\n".join(self.screen.display))


def shown(transcript: str) -> list[str]:
    """The questions whose help the terminal showed, in copier.yml's order."""
    return [name for name in questions() if first_line_of_help(name) in transcript]


def test_the_short_path_asks_six_questions_and_renders_the_default_project(tmp_path):
    terminal = copier_in_a_terminal(tmp_path / "prompted")
    transcript = ""
    for question in SHORT_PATH:
        answer(terminal, question)  # each default, as a user pressing enter would
        transcript += terminal.before + terminal.after
    transcript += finish(terminal)

    assert shown(transcript) == SHORT_PATH
    assert len(shown(transcript)) <= 6  # a working project after at most six answers
    assert tree(tmp_path / "prompted") == tree(render(tmp_path / "defaults"))


def test_answers_typed_at_the_prompts_are_the_projects(tmp_path):
    terminal = copier_in_a_terminal(tmp_path / "project")
    answer(terminal, "project_name", CLEAR_LINE, "Sales Analytics")
    answer(terminal, "pipelines", CLEAR_LINE, "[orders, customers]")
    answer(terminal, "pipeline_language", DOWN)  # SQL
    answer(terminal, "environments", CLEAR_LINE, "[dev, prod]")
    answer(terminal, "ci", " ", DOWN, " ")  # Azure DevOps off, GitHub Actions on
    answer(terminal, "customise")
    finish(terminal)

    answers = yaml.safe_load((tmp_path / "project/.copier-answers.yml").read_text())
    assert {name: answers[name] for name in SHORT_PATH} == {
        "project_name": "Sales Analytics",
        "pipelines": ["orders", "customers"],
        "pipeline_language": "sql",
        "environments": ["dev", "prod"],
        "ci": ["github_actions"],
        "customise": False,
    }
    assert answers["catalogs"] == {"dev": "dev", "prod": "prod"}  # defaults follow the answers
    assert (tmp_path / "project/src/sales_analytics/customers/transformations/customers_gold.sql").is_file()
    assert (tmp_path / "project/.github/workflows/ci.yml").is_file()


def test_customising_shows_every_other_question(tmp_path):
    terminal = copier_in_a_terminal(tmp_path / "project")
    transcript = ""
    for question in questions():  # Azure DevOps is ticked: its questions come too
        answer(terminal, question, "y" if question == "customise" else "")
        transcript += terminal.before + terminal.after
    finish(terminal)

    assert shown(transcript) == list(questions())
    assert yaml.safe_load((tmp_path / "project/.copier-answers.yml").read_text())["customise"] is True


def test_an_interactive_update_keeps_the_customised_answers(tmp_path):
    """A project made with answers beyond the short path: `copier update` asks the six questions
    again, offering the recorded answers, and keeps every other answer as it was."""
    customised = {"cloud": "aws", "compute": "classic", "terraform": True, "catalogs": {"prod": "sales"}}
    project = render(tmp_path / "project", customised, vcs_ref="HEAD")  # a Git source to update from
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "Generated")
    before = yaml.safe_load((project / ".copier-answers.yml").read_text())

    terminal = copier_in_a_terminal(project, "update", "--vcs-ref", "HEAD", "--conflict", "inline")
    for question in SHORT_PATH:
        answer(terminal, question)
    finish(terminal)

    after = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert after == before
    assert {name: after[name] for name in customised} == {**customised, "catalogs": {"prod": "sales"}}


@pytest.mark.parametrize("question", [name for name in questions() if "help" in questions()[name]])
def test_help_fits_a_terminal(question):
    """Help texts are `|` blocks of lines that an 80-column terminal shows whole (with the
    prompt's mark in front of the first)."""
    lines = questions()[question]["help"].rstrip("\n").splitlines()

    assert max(map(len, lines)) <= 74, question


def test_a_bad_answer_at_the_prompt_is_explained_in_80_columns(tmp_path):
    """Mappings typed as YAML: text that is not YAML gets Copier's "Invalid input" (the help above
    shows the form); a bad value gets the rule's message, whole on one line of the 80-column
    screen; a good answer then goes through."""
    terminal = copier_in_a_terminal(tmp_path / "project")
    screen = Screen(terminal)
    names = list(questions())
    before, after = names[: names.index("workspace_hosts")], names[names.index("catalogs") + 1 :]
    for question in before:
        if question == "customise":  # y answers a yes/no question without enter
            terminal.expect_exact(first_line_of_help(question))
            terminal.send("y")
        else:
            answer(terminal, question)
    answer(terminal, "workspace_hosts", CLEAR_LINE, "{dev: https://adb-1.2.azuredatabricks.net")
    terminal.expect_exact("Invalid input")
    for key in (CLEAR_LINE, "{}", ENTER):
        terminal.send(key)
    answer(terminal, "catalogs", CLEAR_LINE, "{dev: Dev}")
    message = "Validation error for question 'catalogs': not a Unity Catalog name: \"Dev\""
    assert screen.line_with(message).strip() == message  # whole, and nothing after it cut off
    for key in (CLEAR_LINE, "{dev: contoso_dev}", ENTER):
        terminal.send(key)
    for question in after:
        answer(terminal, question)
    finish(terminal)

    answers = yaml.safe_load((tmp_path / "project/.copier-answers.yml").read_text())
    assert (answers["workspace_hosts"], answers["catalogs"]) == ({}, {"dev": "contoso_dev"})
