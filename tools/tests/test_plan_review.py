"""`plan-review` on saved plans in the Databricks CLI's shape (fixtures/plans/README.md says which
acceptance output of the CLI each follows): a harmless plan passes, each destructive action on
what holds data or history is refused by name unless allowed, a Terraform-engine plan is stopped
with what to do, and anything that is not a plan is an error that says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakeflow_tools import plan_review

PLANS = Path(__file__).parent / "fixtures" / "plans"

# The resource types whose delete or recreate the CLI itself refuses to apply without approval,
# replayed from bundle/phases/deploy.go (deployApprovalGroups) at v1.13.0: plan-review must stop
# at least these, or a deploy it passed would fail asking for --auto-approve.
CLI_APPROVAL_GROUPS = {
    "schemas",
    "pipelines",
    "volumes",
    "dashboards",
    "database_instances",
    "synced_database_tables",
    "postgres_projects",
    "postgres_branches",
    "postgres_databases",
    "vector_search_indexes",
    "genie_spaces",
}


@pytest.fixture
def run(tmp_path, capsys):
    def go(name: str, *args: str) -> tuple[int, str, str, dict]:
        verdict = tmp_path / "verdict.json"
        code = plan_review.main([str(PLANS / name), *args, "--verdict", str(verdict)])
        out, err = capsys.readouterr()
        return code, out, err, json.loads(verdict.read_text()) if verdict.exists() else {}

    return go


def test_every_cli_approval_group_is_destructive_here():
    assert set(plan_review.LOSSES) >= CLI_APPROVAL_GROUPS


@pytest.mark.parametrize("name", ["first_deploy.json", "update_job.json", "gone_and_permissions.json"])
def test_a_harmless_plan_passes(run, name):
    code, out, err, verdict = run(name)

    assert code == 0, err
    assert "Nothing that holds data or history is deleted or recreated" in out
    assert err == ""
    assert verdict == {
        "engine": "direct",
        "destructive": [],
        "allow_destructive": False,
        "auto_approve": False,
        "migrating": False,
    }


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        pytest.param("recreate_pipeline.json", ["pipelines.orders (recreate)"], id="pipeline recreated"),
        pytest.param(
            "delete_pipeline.json",
            ["jobs.refunds_integration_test (delete)", "pipelines.refunds (delete)"],
            id="pipeline and its job deleted",
        ),
        pytest.param(
            "recreate_schema.json",
            ["schemas.sales (recreate)", "volumes.landing (recreate)"],
            id="schema and volume recreated",
        ),
        pytest.param(
            "delete_schema_and_volume.json",
            ["schemas.sales (delete)", "volumes.landing (delete)"],
            id="schema and volume deleted",
        ),
        pytest.param("recreate_volume.json", ["volumes.landing (recreate)"], id="volume recreated"),
    ],
)
def test_each_destructive_action_is_refused_by_name(run, name, refused):
    code, out, err, verdict = run(name)

    assert code == 1
    assert [line.split(": ")[2].split(" loses")[0] for line in err.splitlines()] == refused
    assert all(line.startswith("plan-review: refused: ") for line in err.splitlines())
    assert "**Refused**" in out
    assert "### What is lost" in out
    assert verdict["destructive"] == [entry.split(" ")[0] for entry in refused]
    assert verdict["auto_approve"] is False


def test_allow_destructive_passes_and_says_so(run):
    code, out, err, verdict = run("recreate_pipeline.json", "--allow-destructive")

    assert code == 0
    assert "**Destructive changes allowed** with `--allow-destructive`" in out
    assert "allowed: pipelines.orders (recreate) loses its streaming tables" in err
    assert verdict["auto_approve"] is True


def test_allow_destructive_on_a_harmless_plan_approves_nothing(run):
    """--auto-approve goes to the deploy only when a destructive plan was allowed."""
    code, out, _, verdict = run("update_job.json", "--allow-destructive")

    assert code == 0
    assert verdict["auto_approve"] is False
    assert "allowed" not in out


def test_the_summary_names_fields_values_and_reasons(run):
    _, out, _, _ = run("recreate_pipeline.json", "--target", "prod")

    assert out.startswith("## Deployment plan for `prod`\n")
    row = next(line for line in out.splitlines() if line.startswith("| `pipelines.orders`"))
    assert "| **recreate** |" in row
    assert (
        '`storage`: `"abfss://pipelines@account.dfs.core.windows.net/orders"` → '
        '`"abfss://pipelines@account.dfs.core.windows.net/orders-v2"` (cannot change in place: recreate)'
    ) in row
    assert "1 to create, 0 to change, 1 to delete, 1 unchanged" in out
    assert "on state serial 7 (lineage `8d3f6c1e-2b4a-4c5d-9e7f-0a1b2c3d4e5f`)" in out
    assert "<details><summary>1 unchanged</summary>" in out
    assert "`schemas.sales`" in out


def test_updates_show_what_changes_and_skip_what_does_not(run):
    _, out, _, _ = run("update_job.json")
    rows = {line.split(" | ")[0]: line for line in out.splitlines() if line.startswith("| `")}

    assert set(rows) == {"| `jobs.orders_integration_test`", "| `volumes.landing`"}
    job = rows["| `jobs.orders_integration_test`"]
    assert "`tasks[task_key='validate'].spark_python_task.parameters`" in job
    assert "`tasks[task_key='validate'].spark_python_task.parameters`: adds `\"--strict\"`" in job
    assert "email_notifications" not in out  # a change the CLI skips is no change
    assert '`"landing_files"` → `"landing"` (changes its ID)' in rows["| `volumes.landing`"]
    assert "0 to create, 2 to change, 0 to delete, 2 unchanged" in out


def test_creates_on_a_first_deploy_count_as_the_cli_counts(run):
    _, out, _, _ = run("first_deploy.json")

    assert "5 to create, 0 to change, 0 to delete, 0 unchanged" in out
    assert "with no state yet" in out
    assert "| `schemas.sales` | create | new |" in out


def test_deletes_that_lose_nothing_are_not_destructive(run):
    """A resource already gone only leaves the state; permissions and grants hold no data."""
    _, out, _, _ = run("gone_and_permissions.json")

    assert "| `pipelines.refunds` | delete | already gone: only the state forgets it |" in out
    assert "| `pipelines.orders.permissions` | delete | no longer in the bundle |" in out


def test_a_value_cannot_break_the_table():
    change = plan_review.Change("comment", "update", "", ("a|b", "`x`" * 40))

    text = plan_review._describe(change)

    assert "\\|" in text
    assert "|" not in text.replace("\\|", "")
    assert text.count("`") == 6
    assert "…" in text


def test_a_terraform_engine_plan_is_stopped_with_what_to_do(run):
    code, out, err, verdict = run("terraform_engine.json")

    assert code == 2
    assert "still uses the Terraform engine" in err
    assert "run CD with `migrate` set" in err
    assert "**Cannot be deployed as a saved plan**" in out
    assert "(the Terraform engine gives actions only)" in out
    assert verdict["engine"] == "terraform"


def test_a_migration_run_passes_a_terraform_engine_plan(run):
    code, out, err, verdict = run("terraform_engine.json", "--migrating")

    assert code == 0, err
    assert "**Migration run** (`--migrating`, set on purpose): the state still uses the Terraform" in out
    assert verdict == {
        "engine": "terraform",
        "destructive": [],
        "allow_destructive": False,
        "auto_approve": False,
        "migrating": True,
    }


def test_a_migration_run_still_refuses_destruction(run):
    document = json.loads((PLANS / "terraform_engine.json").read_text())
    document["plan"]["resources.pipelines.orders"]["action"] = "recreate"
    plan = plan_review.parse(document)

    assert plan_review.Review(plan, allow_destructive=False, migrating=True).exit_code == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("Error: cannot plan", "is not JSON (Expecting value, line 1)", id="the CLI's error"),
        pytest.param("[]", "not a plan: the file holds no JSON object", id="a list"),
        pytest.param('{"plan_version": 3, "cli_version": "2.0.0", "plan": {}}', "plan_version 3", id="newer"),
        pytest.param('{"plan_version": 2, "plan": []}', "`plan` is not an object", id="plan a list"),
        pytest.param('{"plan_version": 2, "plan": {"jobs.x": {}}}', "not a plan entry: 'jobs.x'", id="key"),
        pytest.param(
            '{"plan_version": 2, "plan": {"resources.jobs.x": {"changes": []}}}',
            "resources.jobs.x: `changes` is not an object",
            id="bad changes",
        ),
    ],
)
def test_what_is_not_a_plan_is_named(tmp_path, capsys, content, message):
    path = tmp_path / "plan.json"
    path.write_text(content)

    assert plan_review.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("plan-review: ")
    assert message in err


def test_a_missing_file_is_named(tmp_path, capsys):
    assert plan_review.main([str(tmp_path / "plan.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_list_change_names_what_it_adds_and_drops():
    assert plan_review._difference(["a", "b"], ["b", "c"]) == 'adds `"c"`; drops `"a"`'
    assert plan_review._difference(["a", "b"], ["b", "a"]) == '`["a", "b"]` → `["b", "a"]`'
