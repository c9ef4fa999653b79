"""`local-pipeline` without Spark: its arguments, what it prepares for a run, what it prints."""

import json
import os

import pytest
import yaml

from lakeflow_tools.local_pipeline import cli, events, folders, report, runner
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


def test_landing_keeps_the_developers_files_even_from_scratch(project):
    landing = folders.landing_folder(project) / "orders"
    pipeline = project.pipeline("orders")
    assert runner._prepare_landing(project, pipeline, landing, fresh=False) == (["orders-0001.json"], [])
    (landing / "extra.json").write_text("{}\n")

    for fresh in (False, True):
        assert runner._prepare_landing(project, pipeline, landing, fresh) == (
            ["orders-0001.json"],
            ["extra.json"],
        )
    assert sorted(p.name for p in landing.iterdir()) == ["extra.json", "orders-0001.json"]


def test_a_sample_edited_in_tests_data_replaces_its_unchanged_copy_from_scratch(project):
    landing = folders.landing_folder(project) / "orders"
    pipeline = project.pipeline("orders")
    sample = project.sample_data("orders") / "orders-0001.json"
    runner._prepare_landing(project, pipeline, landing, fresh=False)
    sample.write_text('{"id": "edited"}\n')

    runner._prepare_landing(project, pipeline, landing, fresh=False)
    assert "edited" not in (landing / sample.name).read_text()  # a file read once is not read again
    runner._prepare_landing(project, pipeline, landing, fresh=True)
    assert "edited" in (landing / sample.name).read_text()

    (landing / sample.name).write_text('{"id": "mine"}\n')  # changed by the developer: theirs now
    sample.write_text('{"id": "edited again"}\n')
    assert runner._prepare_landing(project, pipeline, landing, fresh=True) == ([], ["orders-0001.json"])
    assert "mine" in (landing / sample.name).read_text()


def silver(input_rows: int, violations: int) -> dict[str, DatasetResult]:
    rule = RuleCount("valid_id", "id IS NOT NULL", "drop", input_rows, violations)
    rows = input_rows - violations
    return {"orders_silver": DatasetResult("streaming_table", "COMPLETED", rows, expectations=[rule])}


def test_the_totals_are_kept_for_the_next_run(tmp_path):
    totals = tmp_path / "totals.json"
    runner._per_run(silver(10, 2), totals)
    second = silver(15, 3)

    runner._per_run(second, totals)

    assert second["orders_silver"].written == 12 - 8  # the table's rows now, less those before
    assert second["orders_silver"].expectations[0].input_rows == 5
    assert json.loads(totals.read_text())["orders_silver"] == {"rows": 12}
    assert json.loads(totals.read_text())["orders_silver/valid_id"] == {"input_rows": 15, "violations": 3}


def test_progress_says_each_dataset_once_with_rows_and_expectations(tmp_path):
    lines = []
    progress = report.Progress("orders", lines.append, {"orders_silver": {"rows": 4}})
    rules = [
        RuleCount("valid_id", "id IS NOT NULL", "drop", 9, 2),
        RuleCount("known_category", "category IN ('Books')", "warn", 9, 1),
        RuleCount("valid_time", "event_time IS NOT NULL", "fail", 9, 0),
    ]

    progress.started("orders_silver")
    progress.completed("orders_silver", DatasetResult("streaming_table", "COMPLETED", 7, rules))
    progress.skipped("orders_gold")

    assert lines[0].split() == ["orders_silver", "started"]
    assert lines[1].split()[:7] == ["orders_silver", "completed", "3", "written,", "7", "in", "the"]
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
        file="src/demo/orders/logic.py",
        line=21,
        expectation="valid_time",
        constraint="event_time IS NOT NULL",
        rows=[{"id": "bad-1", "event_time": None}],
    )

    assert report.failure_lines(failure) == [
        "expectation 'valid_time' (event_time IS NOT NULL) failed",
        "the rule: src/demo/orders/logic.py:21",
        'offending row: {"id": "bad-1", "event_time": null}',
    ]
    failure.arrived, failure.arrived_in = [{"id": "bad-1", "event_time": "not a time"}], "orders_bronze"
    assert report.failure_lines(failure)[2:] == [
        'offending row, as it arrived in orders_bronze: {"id": "bad-1", "event_time": "not a time"}'
    ]


def test_a_failed_rule_says_how_to_run_again(tmp_path):
    lines = []
    failure = Failure(dataset="orders_silver", expectation="valid_time", constraint="event_time IS NOT NULL")

    report.Progress("orders", lines.append, {}, ".local-pipelines/landing/orders/").failed(
        "orders_silver", failure
    )

    assert lines[-1].strip() == (
        "fix or remove those rows in .local-pipelines/landing/orders/ (or change the rule), "
        "then: uv run local-pipeline run orders --fresh"
    )


def test_the_rule_is_found_where_it_is_declared(tmp_path):
    transformation = tmp_path / "orders" / "transformations" / "orders_silver.py"
    transformation.parent.mkdir(parents=True)
    transformation.write_text("@dp.expect_all_or_fail(logic.FAIL_RULES)\n")
    logic = tmp_path / "orders" / "logic.py"
    logic.write_text(
        'DROP_RULES = {\n    "valid_id": "id IS NOT NULL",\n}\n'
        'FAIL_RULES = {\n    "valid_time": "t IS NOT NULL",\n}\n'
    )
    sql = tmp_path / "orders_silver.sql"
    sql.write_text("CREATE OR REFRESH STREAMING TABLE s (\n  CONSTRAINT valid_time EXPECT (t IS NOT NULL)\n)")

    assert events.rule_declared("valid_time", [transformation, logic], tmp_path) == ("orders/logic.py", 5)
    assert events.rule_declared("valid_time", [sql], tmp_path) == ("orders_silver.sql", 2)
    assert events.rule_declared("valid_tim", [transformation, logic, sql], tmp_path) is None


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
