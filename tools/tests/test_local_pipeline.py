"""`local-pipeline` without Spark: its arguments, what it prepares for a run, what it prints."""

import json
import os

import pytest
import yaml

from lakeflow_tools.local_pipeline import cli, folders, report, runner
from lakeflow_tools.local_pipeline.results import DatasetResult, Failure, RuleCount, RunReport


@pytest.fixture
def inside(project, monkeypatch):
    monkeypatch.chdir(project.root)
    return project


def test_run_needs_a_name_or_all(inside, capsys):
    assert cli.main(["run"]) == 2
    assert "give either a pipeline NAME or --all" in capsys.readouterr().err


def test_an_unknown_pipeline_stops_before_spark(inside, capsys):
    assert cli.main(["run", "order"]) == 2
    assert "no pipeline 'order'; the bundle defines ['refunds', 'orders']" in capsys.readouterr().err


def test_list_shows_datasets_and_rules_without_spark(inside, capsys):
    assert cli.main(["list"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == "refunds"  # declared first
    lines = [
        line.split()[0]
        for line in out.splitlines()
        if line.startswith("  ") and not line.startswith("      ")
    ]
    assert lines[-3:] == ["orders_bronze", "orders_silver", "orders_gold"]  # in flow order
    for shown in ("orders_gold", "materialized view", "drop  valid_id", "fail  has_day"):
        assert shown in out


def test_show_before_a_run_answers_without_spark(inside, capsys):
    assert cli.main(["show", "orders", "orders_gold"]) == 2
    assert (
        "orders_gold has no local table yet: run `local-pipeline run orders` first" in capsys.readouterr().err
    )
    assert cli.main(["show", "orders", "orders_platinum"]) == 2
    assert "pipeline orders has no dataset 'orders_platinum'" in capsys.readouterr().err
    assert not (folders.local_folder(inside) / "server.json").exists()


def test_the_state_folder_can_be_elsewhere(project, tmp_path, monkeypatch):
    assert folders.local_folder(project) == project.root / ".local-pipelines"
    monkeypatch.setenv(folders.STATE_VARIABLE, str(tmp_path / "state"))

    assert folders.landing_folder(project) == tmp_path / "state" / "landing"


def test_run_all_runs_each_pipeline_after_those_it_reads(project, monkeypatch):
    ran = []

    def fake_run(project, name, fresh, timeout, say):
        ran.append(name)
        return RunReport(name, "COMPLETED", 1.0)

    monkeypatch.setattr(runner, "run", fake_run)
    monkeypatch.setattr(runner.server, "ensure", lambda state, say: None)

    reports = runner.run_all(project, ["refunds", "orders"], False, 60, say=lambda _line: None)

    assert ran == ["orders", "refunds"]  # refunds_gold reads orders_gold
    assert [r.pipeline for r in reports] == ["refunds", "orders"]


def test_run_all_does_not_run_what_depends_on_a_failure(project, monkeypatch):
    lines = []
    monkeypatch.setattr(
        runner, "run", lambda project, name, fresh, timeout, say: RunReport(name, "FAILED", 1.0)
    )
    monkeypatch.setattr(runner.server, "ensure", lambda state, say: None)

    reports = runner.run_all(project, ["refunds", "orders"], False, 60, say=lines.append)

    assert [r.status for r in reports] == ["SKIPPED", "FAILED"]
    assert "refunds: not run: orders failed" in lines


def test_outside_a_project_the_exit_code_is_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    assert cli.main(["list"]) == 2
    assert "run this inside the project" in capsys.readouterr().err


def test_the_spec_points_at_the_real_code_with_local_configuration(project):
    folder = folders.local_folder(project) / "orders"
    folder.mkdir(parents=True)

    spec = yaml.safe_load(runner._write_spec(project, project.pipeline("orders"), folder).read_text())

    assert spec["name"] == "orders"
    assert spec["storage"].startswith("file:///")
    assert spec["configuration"]["demo.landing_path"] == f"{folders.landing_folder(project)}/orders"
    assert spec["configuration"]["demo.landing_reader"] == "files"  # [tool.local-pipeline] wins
    [library] = spec["libraries"]
    assert os.path.normpath(folder / library["glob"]["include"]) == str(
        project.root / "src/demo/orders/transformations/**"
    )


def test_landing_keeps_dropped_files_unless_fresh(project):
    landing = folders.landing_folder(project) / "orders"
    pipeline = project.pipeline("orders")
    runner._prepare_landing(project, pipeline, landing, fresh=False)
    (landing / "extra.json").write_text("{}\n")

    runner._prepare_landing(project, pipeline, landing, fresh=False)
    assert sorted(p.name for p in landing.iterdir()) == ["extra.json", "orders-0001.json"]
    runner._prepare_landing(project, pipeline, landing, fresh=True)
    assert sorted(p.name for p in landing.iterdir()) == ["orders-0001.json"]


def silver(input_rows: int, violations: int) -> dict[str, DatasetResult]:
    rule = RuleCount("valid_id", "id IS NOT NULL", "drop", input_rows, violations)
    return {"orders_silver": DatasetResult("streaming_table", "COMPLETED", expectations=[rule])}


def test_the_totals_are_kept_for_the_next_run(tmp_path):
    totals = tmp_path / "totals.json"
    runner._per_run(silver(10, 2), totals)
    second = silver(15, 3)

    runner._per_run(second, totals)

    assert second["orders_silver"].expectations[0].input_rows == 5
    assert json.loads(totals.read_text())["orders_silver/valid_id"] == {"input_rows": 15, "violations": 3}


def test_progress_says_each_dataset_once_with_rows_and_expectations(tmp_path):
    lines = []
    progress = report.Progress("orders", lines.append, tmp_path / "totals.json")
    rules = [
        RuleCount("valid_id", "id IS NOT NULL", "drop", 9, 2),
        RuleCount("known_category", "category IN ('Books')", "warn", 9, 1),
        RuleCount("valid_time", "event_time IS NOT NULL", "fail", 9, 0),
    ]

    progress.started("orders_silver")
    progress.completed("orders_silver", DatasetResult("streaming_table", "COMPLETED", 7, rules))
    progress.skipped("orders_gold")

    assert lines[0].split() == ["orders_silver", "started"]
    assert lines[1].split()[:4] == ["orders_silver", "completed", "7", "rows;"]
    assert lines[1].endswith("dropped 2 (valid_id 2); flagged 1 (known_category 1)")
    assert lines[2].split()[:2] == ["orders_gold", "not"]


def test_streaming_tables_count_this_runs_rows_only():
    rule = RuleCount("valid_id", "id IS NOT NULL", "drop", 15, 3)
    baseline = {"orders_silver/valid_id": {"input_rows": 10, "violations": 2}}

    assert report.this_run("orders_silver", "streaming_table", rule, baseline) == (5, 1)
    assert report.this_run("orders_gold", "materialized_view", rule, baseline) == (15, 3)


def test_a_failed_rule_is_shown_with_its_constraint_place_and_rows():
    failure = Failure(
        dataset="orders_silver",
        error_class="USER_RAISED_EXCEPTION",
        message="Expectation ...",
        file="src/demo/orders/transformations/orders_silver.py",
        line=11,
        expectation="valid_time",
        constraint="event_time IS NOT NULL",
        rows=[{"id": "bad-1", "event_time": None}],
    )

    assert report.failure_lines(failure) == [
        "expectation 'valid_time' (event_time IS NOT NULL) failed",
        "at src/demo/orders/transformations/orders_silver.py:11",
        'offending row: {"id": "bad-1", "event_time": null}',
    ]


def test_a_spark_error_is_shown_with_its_class():
    failure = Failure(
        error_class="UNRESOLVED_COLUMN.WITH_SUGGESTION", message="`categoryy` cannot be resolved."
    )

    assert report.failure_lines(failure) == [
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] `categoryy` cannot be resolved."
    ]


def test_one_verdict_per_run():
    ok = RunReport("orders", "COMPLETED", 12.34)
    failed = RunReport("orders", "FAILED", 3.0, failure=Failure(dataset="orders_silver", message="boom"))

    assert report.verdict(ok) == "orders: COMPLETED in 12.3 s"
    assert report.verdict(failed).startswith("orders: FAILED at orders_silver in 3.0 s")
    assert report.failure_line(failed) == "orders: FAILED at orders_silver: boom"
