"""Answers tier: every validator accepts the good values and rejects the bad ones with a message
that names the question and echoes the value, before anything is written."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from copier._cli import CopierApp
from copier.errors import UserMessageError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment

from .conftest import TEMPLATE, answered, questions, working_tree
from .conftest import copy as copier_copy

ENVS = ["dev", "staging", "prod"]
UUID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


def hosts(**values: str) -> dict:
    return {"dev": "", "staging": "", "prod": "", **values}


def principals(**values: str) -> dict:
    return {"staging": "", "prod": "", **values}


GOOD = [
    ("project_name", "Sales & Marketing 2026"),
    ("project_slug", "sales2026"),
    ("project_slug", "a_b_c"),
    ("pipelines", ["orders"]),
    ("pipelines", ["orders", "customers", "order_lines_v2"]),
    ("environments", ["dev"]),
    ("environments", ["dev", "qa", "preprod", "prod"]),
    ("workspace_hosts", hosts(dev="https://adb-1234567890123456.7.azuredatabricks.net")),
    ("workspace_hosts", hosts(prod="https://adb-1.2.azuredatabricks.net/")),
    ("catalogs", {"dev": "main", "staging": "_staging", "prod": "prod_2"}),
    ("service_principals", principals(staging=UUID, prod=UUID.upper())),
    ("ci", []),
    ("ci", ["github_actions"]),
    ("ci", ["azure_devops", "github_actions"]),
    ("ado_auth", "oauth_m2m"),
    ("terraform", True),
    ("pipeline_sources", {"orders": "cdc_scd2"}),
    ("pipeline_sources", {"orders": "parquet"}),
]

BAD = [
    # (question, value, the message's fragment besides the question and the value)
    ("project_name", "  ", "must not be empty"),
    ("project_slug", "Bad-Slug", "not snake_case"),
    ("project_slug", "1st_project", "not snake_case"),
    ("project_slug", "import", "a Python keyword"),
    ("pipelines", [], "needs at least one name"),
    ("pipelines", "orders", "not a list like [a, b]"),
    ("pipelines", ["orders", "orders"], "not unique"),
    ("pipelines", ["Orders"], "not snake_case"),
    ("pipelines", ["order-lines"], "not snake_case"),
    ("pipelines", ["class"], "a Python keyword"),
    ("environments", [], "needs at least one name"),
    ("environments", ["dev", "dev"], "not unique"),
    ("environments", ["Dev"], "not snake_case"),
    ("environments", ["dev", "ci"], "reserved for CI"),
    ("workspace_hosts", hosts(qa=""), 'not an environment: "qa"'),
    ("workspace_hosts", hosts(dev="http://adb-1.2.azuredatabricks.net"), "not an Azure workspace URL"),
    ("workspace_hosts", hosts(dev="https://dbc-1234.cloud.databricks.com"), "not an Azure workspace URL"),
    ("workspace_hosts", hosts(dev="adb-1.2.azuredatabricks.net"), "workspace URL"),
    ("workspace_hosts", hosts(dev="https://adb-1.2.azuredatabricks.net/path"), "workspace URL"),
    ("workspace_hosts", ["https://adb-1.2.azuredatabricks.net"], "not a mapping"),
    ("catalogs", {"dev": "Dev", "staging": "s", "prod": "p"}, "not a Unity Catalog name"),
    ("catalogs", {"dev": "my-catalog", "staging": "s", "prod": "p"}, "not a Unity Catalog name"),
    ("catalogs", {"dev": "a b", "staging": "s", "prod": "p"}, "not a Unity Catalog name"),
    ("catalogs", {"dev": "x" * 256, "staging": "s", "prod": "p"}, "not a Unity Catalog name"),
    ("service_principals", {"dev": "", "staging": "", "prod": ""}, 'not a shared target: "dev"'),
    ("service_principals", principals(staging="not-a-uuid"), "not a UUID"),
    ("pipeline_sources", {"customers": "csv"}, 'not a pipeline: "customers"'),
    ("pipeline_sources", {"orders": "xml"}, "not a source"),
    ("pipeline_sources", {"orders": "cdc_scd3"}, "not a source"),
    ("pipeline_sources", ["orders"], "not a mapping"),
]


# Text that no YAML (so no JSON) parser reads, for questions whose answer is YAML.
UNREADABLE = [
    ("catalogs", "{dev: contoso_dev"),
    ("workspace_hosts", '{"dev": "https://adb-1.2.azuredatabricks.net"'),
    ("service_principals", "{prod: [}"),
    ("pipeline_sources", "{orders: csv}}"),
    ("pipelines", "[orders, customers"),
    ("environments", "[dev, 'prod]"),
    ("ci", "[azure_devops"),
]

BAD_CHOICES = [("ci", ["azure_devops", "jenkins"], "jenkins"), ("ado_auth", "pat", "pat"), ("cloud", "azur", "azur")]


# Pieces of YAML that generated text is made of, the tricky ones among them.
YAML_PIECES = [
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    ":",
    '"',
    "'",
    " ",
    "dev",
    "a b",
    "2001-12-1",
    "https://x.y",
    "\\n",
    "\\q",
    "#",
    " #",
    "-",
    "? ",
    "&a",
    "*a",
    "!!str",
    "...",
    "é",
    "1e5",
    "yes",
    "~",
    "\n",
    "- ",
    "\n- ",
    "a: b",
    "\na: ",
    "  ",
]


def copy(tmp_path, answers: dict, **kwargs):
    return copier_copy(tmp_path / "project", answers, **kwargs)


def typed(question: str, value) -> list[str]:
    """The value as a user types it after `--data question=`: as JSON and as YAML, or a text
    question's text as it is."""
    if isinstance(value, str) and questions()[question].get("type") == "str":
        return [value]
    as_yaml = yaml.safe_dump(value, default_flow_style=True, width=math.inf).removesuffix("...\n").strip()
    return [json.dumps(value), as_yaml]


def copier_cli(destination: Path, *args: str) -> tuple[int, str]:
    """`copier copy --defaults` of the template on Copier's command line, run in this process (an
    exception would end the test): the exit code and what it printed on stderr, without colours."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        _, code = CopierApp.run(
            ["copier", "copy", "--defaults", "--quiet", *args, str(working_tree()), str(destination)],
            exit=False,
        )
    return code, re.sub(r"\x1b\[[0-9;]*m", "", stderr.getvalue())


def one_line_naming(stderr: str, question: str) -> str:
    """The one line Copier prints for a bad answer: the template's message, naming the question."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert re.match(f"""'dict object' has no attribute ['"]{question}: """, lines[0]), stderr
    return lines[0]


@pytest.fixture(scope="module")
def rules():
    """includes/validate.jinja as Copier loads it, with the default answers before each question."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATE), extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"]
    )
    return env.get_template("includes/validate.jinja").make_module(
        {"environments": ENVS, "cloud": "azure", "pipelines": ["orders"], "_copier_conf": {"data": {}}}
    )


@pytest.mark.parametrize(("question", "value"), GOOD)
def test_good_value_passes(question, value):
    assert answered({question: value})[question] == value


@pytest.mark.parametrize(("question", "value"), GOOD)
def test_good_value_typed_as_yaml_or_json_passes(question, value):
    """What `--data` passes: text, read as YAML (which reads JSON too)."""
    for text in typed(question, value):
        assert answered({question: text})[question] == value, text


def test_block_yaml_text_passes():
    """YAML's block style, as `--data $'pipelines=- orders\\n- customers'` passes it."""
    text = {"pipelines": "- orders\n- customers\n", "catalogs": "prod: sales", "ci": "- github_actions"}
    answers = answered(text)

    assert [answers[name] for name in text] == [["orders", "customers"], {"prod": "sales"}, ["github_actions"]]


@pytest.mark.parametrize(("question", "value", "message"), BAD)
def test_bad_value_stops_before_writing(tmp_path, question, value, message):
    with pytest.raises(UserMessageError, match=f"'{question}: ") as error:
        copy(tmp_path, {question: value})

    text = str(error.value)
    assert message in text
    candidates = [value] if isinstance(value, str) else _leaves(value) or ["[]"]
    assert any(c.strip() in text for c in candidates), f"the message does not echo the bad value: {text}"
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize(("question", "value", "message"), BAD)
def test_bad_value_on_the_command_line_is_one_line_and_writes_nothing(tmp_path, question, value, message):
    for text in typed(question, value):
        code, stderr = copier_cli(tmp_path / "project", "--data", f"{question}={text}")

        assert code == 1, text
        assert message in one_line_naming(stderr, question)
        assert not (tmp_path / "project").exists()


@pytest.mark.parametrize(("question", "text"), UNREADABLE)
def test_unreadable_text_is_named_with_an_example(tmp_path, question, text):
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)  # the oracle: no YAML parser reads it

    code, stderr = copier_cli(tmp_path / "project", "--data", f"{question}={text}")

    line = one_line_naming(stderr, question)
    assert code == 1
    assert f"{question}: cannot read it as YAML or JSON: {text} (" in line
    assert not (tmp_path / "project").exists()


def test_a_data_file_is_checked_the_same_way(tmp_path):
    """--data-file holds YAML: a mapping as YAML, or as text that must be read."""
    for catalogs in ({"dev": "Dev"}, "{dev: Dev}", '{"dev": "Dev"}'):
        data_file = tmp_path / "answers.yml"
        data_file.write_text(yaml.safe_dump({"catalogs": catalogs}))

        code, stderr = copier_cli(tmp_path / "project", "--data-file", str(data_file))

        assert code == 1
        assert one_line_naming(stderr, "catalogs") == (
            """'dict object' has no attribute 'catalogs: not a Unity Catalog name: "Dev" """
            """(e.g. {prod: contoso_prod}; environments: dev, staging, prod)'"""
        )
        assert not (tmp_path / "project").exists()


def _leaves(value) -> list[str]:
    """The strings inside a list or mapping answer, the bad one among them."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return [v for _, v in items if isinstance(v, str) and v.strip()] or [str(k) for k, _ in items]


@pytest.mark.parametrize(("question", "value", "bad"), BAD_CHOICES)
def test_bad_choice_stops_before_writing(tmp_path, question, value, bad):
    choices = questions()[question]["choices"]
    expected = f"{question}: not a choice: {json.dumps(bad)} (choose from: {', '.join(choices.values())})"

    with pytest.raises(UserMessageError, match=re.escape(expected)):
        copy(tmp_path, {question: value})
    for text in typed(question, value):
        code, stderr = copier_cli(tmp_path / "project", "--data", f"{question}={text}")
        assert code == 1
        assert expected in one_line_naming(stderr, question)
    assert not (tmp_path / "project").exists()


def test_every_checked_question_checks_its_data_with_its_own_rule(rules):
    """A question with a rule or choices checks an answer given with --data before Copier reads
    it (its `ask`), reading YAML where Copier does; its validator is the same rule."""
    for name, spec in questions().items():
        if "validator" in spec or "choices" in spec or spec.get("type") == "yaml":
            assert f"{{{{ given('{name}') }}}}" in spec.get("ask", ""), name
        if "validator" in spec:
            assert spec["validator"].endswith(f"{{{{ answer('{name}', {name}) }}}}"), name
    read_as_yaml = [name for name, spec in questions().items() if spec.get("type") == "yaml" or spec.get("multiselect")]
    assert sorted(rules.YAML_QUESTIONS) == sorted(read_as_yaml)


def test_the_checks_know_the_choices_of_copier_yml(rules):
    choices = {
        name: list(spec["choices"].values()) if isinstance(spec["choices"], dict) else spec["choices"]
        for name, spec in questions().items()
        if "choices" in spec
    }

    assert rules.CHOICES == choices


@pytest.mark.parametrize(("question", "value", "message"), BAD)
def test_a_prompt_message_fits_80_columns(rules, question, value, message):
    """At the prompt Copier shows the validator's message on one line after its own words, cut at
    the terminal's width: the problem fits, and so does the value it echoes last unless it is long."""
    shown = str(rules.answer(question, value))
    line = f"Validation error for question '{question}': {shown}"
    echoed = shown.rsplit(": ", 1)[-1] if ": " in shown else ""

    assert message in shown
    assert len(line) <= 80 if len(echoed) <= 12 else len(line) - len(echoed) <= 80, line


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        st.text(st.sampled_from(list("{}[],:\"' \n\t-?#&*!|>%@`\\/.ab01_2xyzé\x85\u2028+=~^$;()<>")), max_size=16),
        st.lists(st.sampled_from(YAML_PIECES), max_size=10).map("".join),
    )
)
def test_text_the_checks_read_is_yaml(rules, text):
    """Jinja cannot catch a YAML error, so the checks read only text that matches READABLE: any such
    text must parse."""
    if re.search(rules.READABLE, text):
        yaml.safe_load(text)


def test_ado_auth_is_asked_only_for_azure_devops(tmp_path):
    copy(tmp_path, {"ci": ["github_actions"]})
    recorded = yaml.safe_load((tmp_path / "project" / ".copier-answers.yml").read_text())

    assert recorded["ci"] == ["github_actions"]
    assert "ado_auth" not in recorded


@pytest.mark.parametrize(
    ("cloud", "host"),
    [
        ("azure", "https://adb-1234567890123456.7.azuredatabricks.net"),
        ("aws", "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com"),
        ("gcp", "https://1234567890123456.7.gcp.databricks.com"),
    ],
)
def test_host_must_fit_the_cloud(cloud, host):
    other = "gcp" if cloud != "gcp" else "aws"
    assert answered({"cloud": cloud, "workspace_hosts": hosts(dev=host)})["host_of"]["dev"] == host

    with pytest.raises(UserMessageError, match=re.escape(host)):
        answered({"cloud": other, "workspace_hosts": hosts(dev=host)})


def test_defaults_follow_the_environments():
    answers = answered({"environments": ["dev", "qa", "prod"]})

    assert answers["workspace_hosts"] == {"dev": "", "qa": "", "prod": ""}
    assert answers["catalogs"] == {"dev": "dev", "qa": "qa", "prod": "prod"}
    assert answers["service_principals"] == {"qa": "", "prod": ""}


def test_slug_is_derived_from_the_name():
    assert answered({"project_name": "2026 Sales & Marketing!"})["project_slug"] == "sales_marketing"


def test_every_question_has_help():
    found = questions()

    assert found
    assert [name for name, spec in found.items() if not spec.get("help")] == []


def test_partial_mappings_take_the_defaults_for_the_rest(tmp_path):
    """A mapping may name only some environments (or pipelines): the others get the question's
    default, and hosts lose a trailing slash."""
    project = copy(
        tmp_path,
        {
            "workspace_hosts": {"prod": "https://adb-3.3.azuredatabricks.net/"},
            "catalogs": {"prod": "sales"},
            "service_principals": {"prod": UUID},
            "pipelines": ["orders", "members"],
            "pipeline_sources": {"members": "cdc_scd1"},
        },
    ).dst_path
    targets = yaml.safe_load((project / "databricks.yml").read_text())["targets"]

    assert {env: targets[env]["variables"]["catalog"] for env in ENVS} == {
        "dev": "dev",
        "staging": "staging",
        "prod": "sales",
    }
    assert targets["prod"]["workspace"]["host"] == "https://adb-3.3.azuredatabricks.net"
    assert targets["staging"]["workspace"]["host"] == "https://set-workspace-host-for-staging.invalid"
    assert targets["prod"]["variables"]["service_principal"] == UUID
    assert (project / "tests/data/orders/landing/orders-0001.json").is_file()
    assert (project / "tests/data/members/landing/members-changes-0001.json").is_file()


def test_a_bad_data_value_ends_in_one_line_naming_the_question(tmp_path):
    """Copier's own command line, in its own process: one line, the template's message, exit 1,
    nothing written."""
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "ignore::UserWarning",  # Copier's warning of a template with uncommitted changes
            "-m",
            "copier",
            "copy",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--data",
            "environments=[dev, Prod]",
            str(TEMPLATE),
            str(tmp_path / "project"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert result.returncode == 1
    assert re.sub(r"\x1b\[[0-9;]*m", "", result.stderr).strip() == (
        """'dict object' has no attribute 'environments: not snake_case: "Prod" (e.g. [dev, staging, prod])'"""
    )
    assert not (tmp_path / "project").exists()


def test_troubleshooting_shows_the_messages_users_see(tmp_path):
    """docs/troubleshooting.md's table of bad answers: each command line, run, prints its line."""
    page = (TEMPLATE / "docs/troubleshooting.md").read_text()
    rows = re.findall(r"^\| `(--data [^`]+)` \| `(.+)` \|$", page, flags=re.MULTILINE)

    assert len(rows) >= 8
    for command, message in rows:
        code, stderr = copier_cli(tmp_path / "project", *shlex.split(command))
        assert (code, stderr.strip()) == (1, message), command
    assert not (tmp_path / "project").exists()
