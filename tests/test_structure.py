"""The template's structure keeps each decision in one place: file names carry no conditions
(includes/excluded.jinja decides which files exist), and the facts derived from the answers are
spelled only in includes/derived.yml; templates use them by name."""

from __future__ import annotations

import re
import subprocess

from .conftest import TEMPLATE, contents

# The raw spellings of derived facts, each of which has a name in includes/derived.yml.
DERIVED = {
    "environments[": "dev_environment, shared_environments, ci_environment",
    "environments | length": "shared_environments",
    "'azure_devops' in ci": "use_azure_devops",
    "'github_actions' in ci": "use_github_actions",
    "pipeline_language ==": "sql_pipelines",
}


def template_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "template", "includes"], cwd=TEMPLATE, capture_output=True, text=True, check=True
    )
    return [name for name in listed.stdout.splitlines() if (TEMPLATE / name).is_file()]


def raw_spellings(text: str) -> list[str]:
    return [spelling for spelling in DERIVED if spelling in text]


def test_file_names_carry_no_conditions():
    assert [name for name in template_files() if re.search(r"\{%-?\s*if\b", name)] == []


# Where the raw answers are the only ones there are: the derived values themselves, and the
# questions' defaults and rules (copier.yml, like includes/defaults.jinja and includes/validate.jinja,
# is read before they exist).
BEFORE_DERIVED = {"includes/derived.yml", "includes/defaults.jinja", "includes/validate.jinja"}


def test_derived_facts_are_spelled_only_in_derived_yml():
    found = {
        name: spellings
        for name in template_files()
        if name not in BEFORE_DERIVED and (spellings := raw_spellings(contents(TEMPLATE / name)))
    }

    assert found == {}, f"use the names of includes/derived.yml instead: {DERIVED}"


def test_the_check_finds_a_raw_spelling():
    assert raw_spellings("{% for env in environments[1:] %}{% if 'azure_devops' in ci %}") == [
        "environments[",
        "'azure_devops' in ci",
    ]
