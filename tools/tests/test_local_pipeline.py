"""`local-pipeline` without Spark: its arguments, what it prepares for a run, what it prints."""

import json
import os

import pytest
import yaml

from lakeflow_tools.local_pipeline import cli, report, runner


@pytest.fixture
def inside(project, monkeypatch):
    monkeypatch.chdir(project.root)
    return project


def test_run_needs_a_name_or_all(inside, capsys):
    assert cli.main(["run"]) == 2
    assert "give either a pipeline NAME or --all" in capsys.readouterr().err


def test_an_unknown_pipeline_stops_before_spark(inside, capsys):
    assert cli.main(["run", "order"]) == 2
    assert "no pipeline 'order'; the bundle defines ['orders', 'refunds']" in capsys.readouterr().err


def test_list_shows_datasets_and_rules_without_spark(inside, capsys):
    assert cli.main(["list"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0] == "orders"
    for shown in ("orders_gold", "materialized view", "drop  valid_id", "fail  has_day"):
        assert shown in out


def test_outside_a_project_the_exit_code_is_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    assert cli.main(["list"]) == 2
    assert "run this inside the project" in capsys.readouterr().err


def test_the_spec_points_at_the_real_code_with_local_configuration(project):
    folder = runner.local_folder(project) / "orders"
    folder.mkdir(parents=True)

    spec = yaml.safe_load(runner._write_spec(project, project.pipeline("orders"), folder).read_text())

    assert spec["name"] == "orders"
    assert spec["storage"].startswith("file:///")
    assert spec["configuration"]["demo.landing_path"] == f"{runner.landing_folder(project)}/orders"
    assert spec["configuration"]["demo.landing_reader"] == "files"  # [tool.local-pipeline] wins
    [library] = spec["libraries"]
    assert os.path.normpath(folder / library["glob"]["include"]) == str(
        project.root / "src/demo/orders/transformations/**"
    )


def test_landing_keeps_dropped_files_unless_fresh(project):
    landing = runner.landing_folder(project) / "orders"
    pipeline = project.pipeline("orders")
    runner._prepare_landing(project, pipeline, landing, fresh=False)
    (landing / "extra.json").write_text("{}\n")

    runner._prepare_landing(project, pipeline, landing, fresh=False)
    assert sorted(p.name for p in landing.iterdir()) == ["extra.json", "orders-0001.json"]
    runner._prepare_landing(project, pipeline, landing, fresh=True)
    assert sorted(p.name for p in landing.iterdir()) == ["orders-0001.json"]


def test_streaming_tables_count_only_this_runs_rows(tmp_path):
    def datasets(rows, broken):
        rule = {"name": "valid_id", "action": "drop", "input_rows": rows, "violations": broken}
        return {"orders_silver": {"kind": "streaming_table", "expectations": [rule]}}

    totals = tmp_path / "totals.json"
    first, second = datasets(10, 2), datasets(15, 3)
    runner._per_run(first, totals)
    runner._per_run(second, totals)

    assert second["orders_silver"]["expectations"][0] | {"name": "valid_id"} == {
        "name": "valid_id",
        "action": "drop",
        "input_rows": 5,
        "violations": 1,
    }
    assert json.loads(totals.read_text())["orders_silver/valid_id"] == {"input_rows": 15, "violations": 3}


def test_report_of_a_completed_run():
    datasets = {
        "orders_silver": {
            "kind": "streaming_table",
            "rows": 7,
            "expectations": [{"name": "valid_id", "action": "drop", "input_rows": 9, "violations": 2}],
        }
    }

    text = report.render(runner.Report("orders", "COMPLETED", 12.34, datasets))

    assert text.splitlines()[0] == "orders: COMPLETED in 12.3 s"
    for shown in ("orders_silver", "streaming table", "7 rows"):
        assert shown in text
    assert "dropped 2 of 9 rows" in text


def test_report_of_a_failed_expectation_names_the_rule():
    failure = {
        "dataset": "orders_silver",
        "expectation": "known_time",
        "constraint": "event_time IS NOT NULL",
    }

    line = report.failure_line(runner.Report("orders", "FAILED", 3.0, failure=failure))

    assert line == "orders: FAILED at orders_silver: expectation 'known_time' (event_time IS NOT NULL) failed"
