"""A run's events and errors, read: flow states, Spark's error class and message without the
plan, the failed rule, and the user's own file and line."""

from pathlib import Path

import pytest

from lakeflow_tools.local_pipeline import events

UNRESOLVED = (
    "Failed to resolve flow: 'spark_catalog.default.orders_silver'.\n"
    "Error: [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name "
    "`categoryy` cannot be resolved. Did you mean one of the following? [`category`, `amount`]. "
    "SQLSTATE: 42703;\n"
    "'Filter ... raise_error(Expectation 'valid_time' failed (expect_or_fail): x IS NOT NULL)\n"
)
STREAM_FAILED = (
    "Flow 'spark_catalog.default.orders_silver' has FAILED more than 0 times and will not be restarted.\n"
    "Error: [STREAM_FAILED] Query [id = 6db7, runId = 487b] terminated with exception: "
    "[USER_RAISED_EXCEPTION] Expectation 'valid_event_time' failed (expect_or_fail): event_time IS NOT NULL "
    "SQLSTATE: P0001 SQLSTATE: XXKST\n"
    "=== Streaming Query ===\n"
)


@pytest.mark.parametrize(
    ("message", "state"),
    [
        ("Flow spark_catalog.default.orders_bronze is RUNNING.", ("orders_bronze", "RUNNING")),
        ("Flow spark_catalog.default.orders_bronze has COMPLETED.", ("orders_bronze", "COMPLETED")),
        (
            "Flow 'spark_catalog.default.orders_gold' SKIPPED due to upstream failure(s).",
            ("orders_gold", "SKIPPED"),
        ),
        (STREAM_FAILED, ("orders_silver", "FAILED")),
        (UNRESOLVED, ("orders_silver", "FAILED")),
        (
            "Failed to resolve flow due to upstream failure: 'spark_catalog.default.orders_gold'.",
            ("orders_gold", "SKIPPED"),
        ),
        ("Run is COMPLETED.", None),
    ],
)
def test_flow_states(message, state):
    assert events.flow_state(message) == state


def test_an_analysis_error_keeps_class_and_message_not_the_plan(tmp_path):
    failure = events.from_text(UNRESOLVED, "orders_silver", tmp_path)

    assert failure.error_class == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert "`categoryy` cannot be resolved" in failure.message
    assert "Filter" not in failure.message
    assert failure.expectation is None  # the plan quotes a rule; the error is not about it


def test_a_failed_stream_gives_the_cause_and_the_rule(tmp_path):
    failure = events.from_text(STREAM_FAILED, "orders_silver", tmp_path)

    assert failure.error_class == "USER_RAISED_EXCEPTION"
    assert (failure.expectation, failure.constraint) == ("valid_event_time", "event_time IS NOT NULL")


def test_a_python_error_points_at_the_projects_own_line(tmp_path):
    code = tmp_path / "src" / "orders_gold.py"
    code.parent.mkdir()
    code.write_text("def orders_gold():\n    return 1 / 0\n")
    namespace: dict = {}
    exec(compile(code.read_text(), str(code), "exec"), namespace)
    with pytest.raises(ZeroDivisionError) as raised:
        namespace["orders_gold"]()

    failure = events.from_exception(raised.value, tmp_path)

    assert (failure.file, failure.line) == ("src/orders_gold.py", 2)
    assert failure.dataset == "orders_gold"
    assert failure.message == "ZeroDivisionError: division by zero"


def test_frames_outside_the_project_are_not_the_users(tmp_path):
    text = f'File "/usr/lib/python3/x.py", line 3\nFile "{tmp_path}/tools/src/y.py", line 4\n'

    assert events.user_frame(text, Path(tmp_path)) is None


def _column(name: str, call_site: str):
    from pyspark.sql.connect import proto

    column = proto.Expression()
    column.unresolved_attribute.unparsed_identifier = name
    column.common.origin.python_origin.fragment = "col"
    column.common.origin.python_origin.call_site = call_site
    return column


def _function(name: str, arguments: list, call_site: str):
    from pyspark.sql.connect import proto

    function = proto.Expression()
    function.unresolved_function.function_name = name
    function.unresolved_function.arguments.extend(arguments)
    function.common.origin.python_origin.fragment = name
    function.common.origin.python_origin.call_site = call_site
    return function


def test_an_analysis_error_points_at_the_line_that_wrote_the_operation(tmp_path):
    """pyspark records each operation's call site in the plan (innermost frame first); the
    operation the error quotes, in the project's own code, is the place."""
    logic = tmp_path / "src" / "logic.py"
    logic.parent.mkdir()
    logic.write_text("\n" * 50)
    plan = _function(
        "sum",
        [_column("amountt", f"{logic}:45\n{tmp_path}/src/gold.py:11")],
        f"{logic}:45",
    )
    other = _function("count", [_column("amount", f"{logic}:44")], f"{logic}:44")
    from pyspark.sql.connect import proto

    both = proto.Expression()
    both.unresolved_function.function_name = "struct"
    both.unresolved_function.arguments.extend([other, plan])

    typo = (
        "Error: [UNRESOLVED_COLUMN.WITH_SUGGESTION] ... name `amountt` cannot be resolved. "
        "Did you mean one of the following? [`amount`]."
    )
    mismatch = 'Error: [DATATYPE_MISMATCH] Cannot resolve "count(amount)" due to data type mismatch.'

    assert events.plan_call_site(both, typo, tmp_path) == ("src/logic.py", 45)
    assert events.plan_call_site(both, mismatch, tmp_path) == ("src/logic.py", 44)
    assert events.plan_call_site(both, "Error: [X] nothing quoted", tmp_path) is None
