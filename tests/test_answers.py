"""Answers tier: every validator accepts the good values and rejects the bad ones with a message
that names the question and echoes the value, before anything is written."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from .conftest import TEMPLATE, questions
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
    # (question, value, fragment of the message besides the question and the value)
    ("project_name", "  ", "must not be empty"),
    ("project_slug", "Bad-Slug", "snake_case"),
    ("project_slug", "1st_project", "snake_case"),
    ("project_slug", "import", "Python keyword"),
    ("pipelines", [], "at least one"),
    ("pipelines", "orders", "YAML list"),
    ("pipelines", ["orders", "orders"], "unique"),
    ("pipelines", ["Orders"], "snake_case"),
    ("pipelines", ["order-lines"], "snake_case"),
    ("pipelines", ["class"], "Python keyword"),
    ("environments", [], "at least one"),
    ("environments", ["dev", "dev"], "unique"),
    ("environments", ["Dev"], "snake_case"),
    ("environments", ["dev", "ci"], "reserved"),
    ("workspace_hosts", hosts(qa=""), 'not an environment here: ["qa"]'),
    ("workspace_hosts", hosts(dev="http://adb-1.2.azuredatabricks.net"), "https URL"),
    ("workspace_hosts", hosts(dev="https://dbc-1234.cloud.databricks.com"), "azure"),
    ("workspace_hosts", hosts(dev="adb-1.2.azuredatabricks.net"), "https URL"),
    ("workspace_hosts", hosts(dev="https://adb-1.2.azuredatabricks.net/path"), "https URL"),
    ("workspace_hosts", ["https://adb-1.2.azuredatabricks.net"], "JSON mapping"),
    ("catalogs", {"dev": "Dev", "staging": "s", "prod": "p"}, "Unity Catalog"),
    ("catalogs", {"dev": "my-catalog", "staging": "s", "prod": "p"}, "Unity Catalog"),
    ("catalogs", {"dev": "a b", "staging": "s", "prod": "p"}, "Unity Catalog"),
    ("catalogs", {"dev": "x" * 256, "staging": "s", "prod": "p"}, "Unity Catalog"),
    ("service_principals", {"dev": "", "staging": "", "prod": ""}, 'not an environment here: ["dev"]'),
    ("service_principals", principals(staging="not-a-uuid"), "application ID"),
    (
        "pipeline_sources",
        {"customers": "csv"},
        'names a pipeline this project does not have; the pipelines are ["orders"]',
    ),
    (
        "pipeline_sources",
        {"orders": "xml"},
        'choose one of ["json", "csv", "parquet", "cdc_scd1", "cdc_scd2", "cdc_snapshot"]',
    ),
    ("pipeline_sources", {"orders": "cdc_scd3"}, "is not a source"),
    ("pipeline_sources", ["orders"], "JSON mapping"),
]


def copy(tmp_path, answers: dict, **kwargs):
    return copier_copy(tmp_path / "project", answers, **kwargs)


@pytest.mark.parametrize(("question", "value"), GOOD)
def test_good_value_passes(tmp_path, question, value):
    worker = copy(tmp_path, {question: value}, pretend=True)

    assert worker.answers.combined[question] == value


@pytest.mark.parametrize(("question", "value", "message"), BAD)
def test_bad_value_stops_before_writing(tmp_path, question, value, message):
    with pytest.raises(ValueError, match=f"question '{question}'") as error:
        copy(tmp_path, {question: value})

    text = str(error.value)
    assert message in text
    candidates = [value] if isinstance(value, str) else _leaves(value) or ["[]"]
    assert any(c.strip() in text for c in candidates), f"the message does not echo the bad value: {text}"
    assert not (tmp_path / "project").exists()


def _leaves(value) -> list[str]:
    """The strings inside a list or mapping answer, the bad one among them."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return [v for _, v in items if isinstance(v, str) and v.strip()] or [str(k) for k, _ in items]


@pytest.mark.parametrize(
    ("question", "value", "bad"),
    [("ci", ["azure_devops", "jenkins"], "jenkins"), ("ado_auth", "pat", "pat")],
)
def test_bad_choice_stops_before_writing(tmp_path, question, value, bad):
    with pytest.raises(ValueError, match=f"Invalid choice for '{question}': '{bad}'"):
        copy(tmp_path, {question: value})

    assert not (tmp_path / "project").exists()


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
def test_host_must_fit_the_cloud(tmp_path, cloud, host):
    other = "gcp" if cloud != "gcp" else "aws"
    copy(tmp_path, {"cloud": cloud, "workspace_hosts": hosts(dev=host)}, pretend=True)

    with pytest.raises(ValueError, match=re.escape(host)):
        copy(tmp_path, {"cloud": other, "workspace_hosts": hosts(dev=host)})


def test_defaults_follow_the_environments(tmp_path):
    worker = copy(tmp_path, {"environments": ["dev", "qa", "prod"]}, pretend=True)
    answers = worker.answers.combined

    assert answers["workspace_hosts"] == {"dev": "", "qa": "", "prod": ""}
    assert answers["catalogs"] == {"dev": "dev", "qa": "qa", "prod": "prod"}
    assert answers["service_principals"] == {"qa": "", "prod": ""}


def test_slug_is_derived_from_the_name(tmp_path):
    worker = copy(tmp_path, {"project_name": "2026 Sales & Marketing!"}, pretend=True)

    assert worker.answers.combined["project_slug"] == "sales_marketing"


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
    """Copier prints its traceback above; the last line, the template's message, says it all.
    Nothing is written."""
    result = subprocess.run(
        [
            sys.executable,
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

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "ValueError: Validation error for question 'environments': environments: \"Prod\" is not "
        "snake_case: use lowercase letters, digits and underscores, starting with a letter"
    )
    assert not (tmp_path / "project").exists()
