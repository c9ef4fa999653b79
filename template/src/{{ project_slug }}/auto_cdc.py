"""AUTO CDC where Apache Spark cannot run it: locally (Spark 4.3, Parquet tables, no Delta) a
`create_auto_cdc_flow` target fails with AUTOCDC_TARGET_DOES_NOT_SUPPORT_MERGE. Here each flow
becomes a streaming table that keeps every change it reads, whatever its source (a streaming
table, a view over ``spark.readStream``, a table outside the pipeline), and in place of the
target a materialized view that computes from those changes what Databricks documents
(lakeflow_tools.cdc has the rules and the query). On Databricks ``pipelines.py`` uses the native
functions instead and this module is not used.

Every argument Databricks documents is taken as Databricks takes it (names or ``col()`` for
columns, SQL text or Columns for expressions); one the stand-in cannot honour stops the run,
naming it.

A streaming table is declared before its flows, but only its flows say whether it is an AUTO CDC
target: so locally ``create_streaming_table`` waits for the first flow into the table, which
registers it as declared (``append_flow``) or in its place the materialized view.
"""

import importlib
import inspect
import re
import warnings
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

if TYPE_CHECKING:  # development tooling, present wherever this module runs (not on Databricks)
    from lakeflow_tools import cdc


def _native() -> Any:
    """Apache Spark's pipeline API, imported when a pipeline is defined (unit tests import this
    module for applied(), and under Databricks Connect pyspark.pipelines cannot be imported), as
    its module `api`: local runs give `pyspark.pipelines` the project's API (pipelines.py)."""
    return importlib.import_module("pyspark.pipelines.api")


@dataclass
class _Graph:
    """What one graph's definitions declared so far."""

    declared: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Streaming tables declared and not yet registered, with their options."""
    written: set[str] = field(default_factory=set)
    """Tables an append flow already writes to (a later declaration registers at once)."""
    applied: set[str] = field(default_factory=set)
    """Targets of AUTO CDC flows."""


_graphs: "weakref.WeakKeyDictionary[object, _Graph]" = weakref.WeakKeyDictionary()


def _graph() -> _Graph:
    """The state of the graph being defined: each registry (each run, each read) its own."""
    from pyspark.pipelines.graph_element_registry import get_active_graph_element_registry

    return _graphs.setdefault(get_active_graph_element_registry(), _Graph())


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*|`(?:[^`]|``)+`")
NOT_LOCAL = {
    "system_sequence_by": "bitemporal tables",
    "columns_to_update": "partial updates that name their columns in a column",
}
"""Arguments newer Databricks releases document that the stand-in cannot honour, and why."""

Snapshot = tuple[DataFrame, Any]
SnapshotSource = str | Callable[[Any], Snapshot | None]


def create_streaming_table(name: str, **options: Any) -> None:
    if name in _graph().written:
        _native().create_streaming_table(name, **options)
    else:
        _graph().declared[name] = options


def append_flow(*, target: str, **options: Any) -> Callable[[Callable[[], DataFrame]], None]:
    graph = _graph()
    if target in graph.applied:
        raise ValueError(f"{target}: an AUTO CDC flow writes it; an append flow needs a table of its own")
    if target in graph.declared:
        _native().create_streaming_table(target, **graph.declared.pop(target))
    graph.written.add(target)
    return _native().append_flow(target=target, **options)


def _column(argument: str, column: str | Column) -> str:
    """The unqualified column a list argument names, as a string or ``col("name")``."""
    text = column if isinstance(column, str) else re.fullmatch(r"Column<'(.*)'>", repr(column), re.S)
    name = text if isinstance(text, str) else text[1] if text else repr(column)
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(
            f"{argument}: {column!r} is not the name of a column; AUTO CDC takes unqualified column "
            "names, as strings or col('name') (AUTOCDC_NON_COLUMN_IDENTIFIER)"
        )
    return name[1:-1].replace("``", "`") if name.startswith("`") else name


def _columns(argument: str, columns: Sequence[str | Column] | None) -> tuple[str, ...]:
    if columns is None:
        return ()
    if isinstance(columns, str | Column) or not isinstance(columns, Sequence):
        raise TypeError(f"{argument} takes a list of column names, got {columns!r}")
    return tuple(_column(argument, column) for column in columns)


def _choice(
    argument: str, only: Sequence[str | Column] | None, all_but: Sequence[str | Column] | None
) -> "cdc.Columns | None":
    """`column_list`-style and `except_column_list`-style arguments, one of them or neither."""
    from lakeflow_tools import cdc

    if only and all_but:
        raise ValueError(f"{argument}: give the columns to take or those to leave out, not both")
    if only:
        return cdc.Columns(_columns(argument, only), all_but=False)
    if all_but:
        return cdc.Columns(_columns(argument, all_but))
    return None


def _expression(argument: str, value: str | Column | None) -> str | Column | None:
    """A condition or sequence as Databricks takes it: SQL text or a Column."""
    if value is None or isinstance(value, Column) or (isinstance(value, str) and value.strip()):
        return value
    raise TypeError(f"{argument} takes SQL text or a Column, got {value!r}")


def _flag(condition: str | Column | None) -> Column:
    """A condition as a column that is false where the condition is false or NULL."""
    if condition is None:
        return F.lit(False)
    return F.coalesce(F.expr(condition) if isinstance(condition, str) else condition, F.lit(False))


def _scd_type(value: object) -> int:
    if str(value) not in ("1", "2") or isinstance(value, bool):
        raise ValueError(f"stored_as_scd_type must be 1 or 2 (or '1', '2'), got {value!r}")
    return int(str(value))


def _caller_spark() -> Any:
    """The session the runtime gave the file that defines the flow (two frames up)."""
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None
    return caller.f_globals.get("spark") if caller else None


def _defined_at() -> tuple[str, int]:
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None
    return (caller.f_code.co_filename, caller.f_lineno) if caller else ("<unknown>", 1)


def _register(target: str, query: Callable[[], DataFrame], info: dict[str, Any]) -> None:
    """The target as a materialized view over `query`, with what graph.py reads of it."""

    def changes_applied() -> DataFrame:
        return query()

    changes_applied.__auto_cdc__ = info  # type: ignore[attr-defined]
    graph = _graph()
    if target in graph.applied:
        raise NotImplementedError(
            f"{target}: a second AUTO CDC flow into the same table is not supported by the local "
            "stand-in (one flow per target); Databricks runs it"
        )
    if target in graph.written:
        raise ValueError(f"{target}: an append flow already writes it; AUTO CDC needs a target of its own")
    graph.applied.add(target)
    _native().materialized_view(changes_applied, name=target, **graph.declared.pop(target, {}))


@dataclass(frozen=True)
class _Flow:
    """An AUTO CDC flow's arguments, checked: how its changes apply (cdc.AutoCdc), and how each
    change's sequence, and whether it is a delete or a truncate, are computed."""

    spec: "cdc.AutoCdc"
    sequence: str | Column
    deletes: str | Column | None
    truncates: str | Column | None

    def changes(self, rows: DataFrame) -> DataFrame:
        """The rows with what the changes table adds to them (cdc.FEED_COLUMNS)."""
        from lakeflow_tools import cdc

        sequence = F.expr(self.sequence) if isinstance(self.sequence, str) else self.sequence
        return rows.select(
            "*",
            sequence.alias(cdc.SEQUENCE),
            _flag(self.deletes).alias(cdc.DELETE),
            _flag(self.truncates).alias(cdc.TRUNCATE),
        )


def _flow(
    keys: Sequence[str | Column],
    sequence_by: str | Column,
    ignore_null_updates: bool = False,
    apply_as_deletes: str | Column | None = None,
    apply_as_truncates: str | Column | None = None,
    column_list: Sequence[str | Column] | None = None,
    except_column_list: Sequence[str | Column] | None = None,
    stored_as_scd_type: int | str = 1,
    track_history_column_list: Sequence[str | Column] | None = None,
    track_history_except_column_list: Sequence[str | Column] | None = None,
    *,
    ignore_null_updates_column_list: Sequence[str | Column] | None = None,
    ignore_null_updates_except_column_list: Sequence[str | Column] | None = None,
    **newer: Any,
) -> _Flow:
    """create_auto_cdc_flow's arguments about the changes, as Databricks documents them; what
    the stand-in cannot honour, or Databricks would refuse, is an error naming the argument."""
    from lakeflow_tools import cdc

    if unknown := sorted(set(newer) - set(NOT_LOCAL)):
        raise TypeError(f"create_auto_cdc_flow() got unexpected keyword arguments {unknown}")
    if newer:
        argument = sorted(newer)[0]
        raise NotImplementedError(
            f"create_auto_cdc_flow: {argument} ({NOT_LOCAL[argument]}) is not supported by the local "
            "AUTO CDC stand-in; Databricks runs it"
        )
    if not isinstance(ignore_null_updates, bool):
        raise TypeError(f"ignore_null_updates takes True or False, got {ignore_null_updates!r}")
    partial = _choice(
        "ignore_null_updates_column_list / ignore_null_updates_except_column_list",
        ignore_null_updates_column_list,
        ignore_null_updates_except_column_list,
    )
    if ignore_null_updates and partial:
        raise ValueError(
            "ignore_null_updates and ignore_null_updates_(except_)column_list exclude each other"
        )
    sequence = _expression("sequence_by", sequence_by)
    if sequence is None:
        raise TypeError("create_auto_cdc_flow: sequence_by is required")
    return _Flow(
        spec=cdc.AutoCdc(
            keys=_columns("keys", keys),
            scd_type=_scd_type(stored_as_scd_type),
            columns=_choice("column_list / except_column_list", column_list, except_column_list) or cdc.ALL,
            track_history=_choice(
                "track_history_column_list / track_history_except_column_list",
                track_history_column_list,
                track_history_except_column_list,
            )
            or cdc.ALL,
            ignore_null_updates=cdc.ALL if ignore_null_updates else partial,
            truncates=apply_as_truncates is not None,
        ),
        sequence=sequence,
        deletes=_expression("apply_as_deletes", apply_as_deletes),
        truncates=_expression("apply_as_truncates", apply_as_truncates),
    )


def create_auto_cdc_flow(
    target: str,
    source: str,
    keys: Sequence[str | Column],
    sequence_by: str | Column,
    ignore_null_updates: bool = False,
    apply_as_deletes: str | Column | None = None,
    apply_as_truncates: str | Column | None = None,
    column_list: Sequence[str | Column] | None = None,
    except_column_list: Sequence[str | Column] | None = None,
    stored_as_scd_type: int | str = 1,
    track_history_column_list: Sequence[str | Column] | None = None,
    track_history_except_column_list: Sequence[str | Column] | None = None,
    name: str | None = None,
    once: bool = False,
    **keyword_only: Any,
) -> None:
    """Databricks' create_auto_cdc_flow, locally: the changes the flow reads kept in a streaming
    table (cdc.changes_table), the target computed from them."""
    from lakeflow_tools import cdc

    if once:
        raise NotImplementedError(
            "create_auto_cdc_flow: once=True (a one-time flow) is not supported by the local AUTO CDC "
            "stand-in: Apache Spark 4.3 refuses once flows over Spark Connect; Databricks runs it"
        )
    for argument, value in (("target", target), ("source", source)):
        if not isinstance(value, str) or not value:
            raise TypeError(f"create_auto_cdc_flow: {argument} takes a table name, got {value!r}")
    if name is not None and not (isinstance(name, str) and name):
        raise TypeError(f"create_auto_cdc_flow: name takes the flow's name, got {name!r}")
    flow = _flow(
        keys,
        sequence_by,
        ignore_null_updates,
        apply_as_deletes,
        apply_as_truncates,
        column_list,
        except_column_list,
        stored_as_scd_type,
        track_history_column_list,
        track_history_except_column_list,
        **keyword_only,
    )
    spark = _caller_spark()
    changes = cdc.changes_table(target)
    defined_at = _defined_at()
    _native().create_streaming_table(changes, comment=f"The changes AUTO CDC applies to {target}, locally.")
    _native().append_flow(target=changes, name=name or changes)(
        lambda: flow.changes(spark.readStream.table(source))
    )
    _register(
        target,
        lambda: spark.sql(flow.spec.query(changes)),
        {
            "source": source,
            "keys": list(flow.spec.keys),
            "sequence_by": sequence_by if isinstance(sequence_by, str) else repr(sequence_by),
            "scd_type": flow.spec.scd_type,
            "defined_at": defined_at,
            "spec": flow.spec,
            "changes": changes,
        },
    )


def applied(changes: DataFrame, *arguments: Any, **keywords: Any) -> DataFrame:
    """What an AUTO CDC flow's target holds after `changes` (a DataFrame, in batch): the
    arguments are create_auto_cdc_flow's from `keys` on. Changes that share a key and a sequence
    are warned about (Databricks leaves their result undefined)."""
    flow = _flow(*arguments, **keywords)
    spark, rows = changes.sparkSession, flow.changes(changes)
    ties = [row.asDict() for row in spark.sql(flow.spec.ties_query(), source=rows).collect()]
    for tie in flow.spec.tie_warnings(ties, "the target"):
        warnings.warn(tie, stacklevel=2)
    return spark.sql(flow.spec.query(), source=rows)


def _snapshot_spec(
    keys: Sequence[str | Column],
    stored_as_scd_type: int | str = 1,
    track_history_column_list: Sequence[str | Column] | None = None,
    track_history_except_column_list: Sequence[str | Column] | None = None,
) -> "cdc.AutoCdc":
    from lakeflow_tools import cdc

    return cdc.AutoCdc(
        keys=_columns("keys", keys),
        scd_type=_scd_type(stored_as_scd_type),
        track_history=_choice(
            "track_history_column_list / track_history_except_column_list",
            track_history_column_list,
            track_history_except_column_list,
        )
        or cdc.ALL,
    )


def create_auto_cdc_from_snapshot_flow(
    target: str,
    source: SnapshotSource,
    keys: Sequence[str | Column],
    stored_as_scd_type: int | str = 1,
    track_history_column_list: Sequence[str | Column] | None = None,
    track_history_except_column_list: Sequence[str | Column] | None = None,
    *,
    once: bool = False,
) -> None:
    """Databricks' create_auto_cdc_from_snapshot_flow, locally. A table or view `source` is
    snapshotted once per run: a materialized view reads it, a streaming table keeps each run's
    copy, versions 0, 1, ... in the order taken. A function `source` is asked for every snapshot
    from the first (``source(None)``, then ``source(version)``) until it returns None. The target
    is computed from the changes between consecutive snapshots (cdc.snapshot_changes)."""
    from lakeflow_tools import cdc

    if once:
        raise NotImplementedError(
            "create_auto_cdc_from_snapshot_flow: once=True is not supported by the local AUTO CDC "
            "stand-in; Databricks runs it"
        )
    if not isinstance(target, str) or not target:
        raise TypeError(f"create_auto_cdc_from_snapshot_flow: target takes a table name, got {target!r}")
    if not isinstance(source, str) and not callable(source):
        raise TypeError(
            "create_auto_cdc_from_snapshot_flow: source takes a table name or a function that returns "
            f"the next snapshot and its version, got {source!r}"
        )
    spec = _snapshot_spec(
        keys, stored_as_scd_type, track_history_column_list, track_history_except_column_list
    )
    spark = _caller_spark()
    info: dict[str, Any] = {
        "source": source if isinstance(source, str) else getattr(source, "__name__", repr(source)),
        "keys": list(spec.keys),
        "scd_type": spec.scd_type,
        "defined_at": _defined_at(),
        "spec": spec,
    }
    if callable(source):
        _register(target, lambda: _applied_snapshots(spec, _every_snapshot(source)), info)
        return
    taken, changes = cdc.changes_table(f"{target}_snapshot"), cdc.changes_table(target)

    def take_snapshot() -> DataFrame:
        return spark.read.table(source).select("*", F.current_timestamp().alias(cdc.TAKEN))

    _native().materialized_view(take_snapshot, name=taken, comment=f"{source} as this run found it.")
    _native().create_streaming_table(changes, comment=f"Every snapshot of {source} taken for {target}.")
    _native().append_flow(target=changes, name=changes)(lambda: spark.readStream.table(taken).select("*"))
    query = cdc.snapshot_changes(spec.keys, changes, taken=True)
    _register(target, lambda: spark.sql(spec.query(f"({query})")), info)


def snapshots_applied(
    next_snapshot_and_version: Callable[[Any], Snapshot | None], *arguments: Any, **keywords: Any
) -> DataFrame:
    """What create_auto_cdc_from_snapshot_flow's target holds after every snapshot the function
    gives (in batch): the arguments are the flow's from `keys` on."""
    return _applied_snapshots(
        _snapshot_spec(*arguments, **keywords), _every_snapshot(next_snapshot_and_version)
    )


def _applied_snapshots(spec: "cdc.AutoCdc", snapshots: DataFrame) -> DataFrame:
    from lakeflow_tools import cdc

    return snapshots.sparkSession.sql(spec.query(f"({cdc.snapshot_changes(spec.keys)})"), source=snapshots)


def _every_snapshot(next_snapshot: Callable[[Any], Snapshot | None]) -> DataFrame:
    """Every snapshot the function gives, from the first, each with its version (cdc.VERSION)."""
    from lakeflow_tools import cdc

    found: list[DataFrame] = []
    version = None
    while (answer := next_snapshot(version)) is not None:
        if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], DataFrame)):
            raise TypeError(f"the snapshot function must return (DataFrame, version) or None, got {answer!r}")
        snapshot, following = answer
        if version is not None and not following > version:
            raise ValueError(f"the snapshot function returned version {following!r} after {version!r}")
        found.append(snapshot.select("*", F.lit(following).alias(cdc.VERSION)))
        version = following
    if not found:
        raise ValueError("the snapshot function returned no snapshot (None for the first version)")
    combined = found[0]
    for snapshot in found[1:]:
        combined = combined.unionByName(snapshot)
    return combined


# Names newer than this project's use: Databricks' old names for the two flows.
apply_changes = create_auto_cdc_flow
apply_changes_from_snapshot = create_auto_cdc_from_snapshot_flow
