"""AUTO CDC on Apache Spark: the query that computes an AUTO CDC target (SCD type 1 or 2) from the
whole change feed at once, with the semantics Databricks documents (docs/decisions/0010).

Apache Spark 4.3 has `create_auto_cdc_flow`, but a local target fails
(AUTOCDC_TARGET_DOES_NOT_SUPPORT_MERGE: local tables are Parquet, and no connector pyspark ships
supports MERGE). Locally, an AUTO CDC flow is therefore two datasets: a streaming table that keeps
every change the flow has read (`changes_table`, with the flow's sequencing, delete and truncate
expressions computed into FEED_COLUMNS), and the target, a materialized view over `query()`.
The project's pipeline API does this for Python pipelines, sql.py for SQL ones; on Databricks the
native flow runs. The rules, per key:

- Changes apply in sequence order, whatever order they arrived in. A NULL sequence, or a NULL key
  on a change that is not a truncate, stops the update (AUTOCDC_MICROBATCH_VALIDATION).
- SCD type 1: the change with the highest sequence decides: an upsert gives the row, a delete
  removes the key (an older upsert does not bring it back), a truncate removes every key whose
  latest change is older than it.
- SCD type 2: each upsert whose tracked values differ from the version before it opens a version
  at its sequence (`__START_AT`) and closes the previous one there (`__END_AT`); an upsert with the
  same tracked values opens none, but its other values become the version's; a delete closes the
  current version. Late changes land where their sequence puts them. `__START_AT` and `__END_AT`
  have the sequence's type; the open version has `__END_AT` NULL.
- Ignoring NULL updates: a NULL in an upsert keeps the value the key had (since its last delete).
- Equal sequences for one key (Databricks documents one change per key and sequence value, and
  leaves the rest undefined): identical changes count once; of different ones a delete wins, as in
  Apache Spark's SCD type 2, then the greater row. `ties_query()` finds them, so that runs can
  warn.

`{source}` in a query stands for the changes table: a table name, or a DataFrame passed to
`spark.sql(query, source=...)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SEQUENCE = "__auto_cdc_sequence"
DELETE = "__auto_cdc_delete"
TRUNCATE = "__auto_cdc_truncate"
FEED_COLUMNS = (SEQUENCE, DELETE, TRUNCATE)
"""What the changes table adds to the source's rows: the flow's sequence, and whether a change is a
delete or a truncate."""
INTERNAL_PREFIX = "__auto_cdc_"
"""Names of the local stand-in's own datasets start with it (graph.py leaves them out)."""

RESERVED = ("__START_AT", "__END_AT")
_EVENT = ("__seq", "__is_delete", "__is_truncate", "__tb")
"""The columns every step of the query carries before the change's own."""
_SCD2 = ("__rank", "__values", "__opens", "__version", "__next", "__start", "__last")


def changes_table(target: str) -> str:
    """The streaming table that keeps what the flow into `target` has read, next to it."""
    *schema, name = target.split(".")
    return ".".join([*schema, f"{INTERNAL_PREFIX}{name}"])


def quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _names(names: Sequence[str]) -> str:
    return ", ".join(map(quoted, dict.fromkeys(names)))


@dataclass(frozen=True)
class Columns:
    """Some of a table's columns: those named, or all but those named (`* EXCEPT`)."""

    names: tuple[str, ...] = ()
    all_but: bool = True

    def struct(self, without: Sequence[str] = ()) -> str:
        """These columns as a struct, `without` some (when all but some): SQL."""
        if self.all_but:
            return f"struct(* EXCEPT ({_names([*without, *self.names])}))"
        kept = [name for name in self.names if name not in without]
        return f"struct({_names(kept)})" if kept else "struct()"


ALL = Columns()


@dataclass(frozen=True)
class AutoCdc:
    """How a change feed applies to its target, as create_auto_cdc_flow and AUTO CDC INTO say it.

    The changes table holds the sequence and the delete and truncate conditions already computed
    (FEED_COLUMNS), so this holds only what the target's query needs of the rest. A ValueError
    names what Databricks would refuse, in both languages' words."""

    keys: tuple[str, ...]
    scd_type: int = 1
    columns: Columns = ALL
    track_history: Columns = ALL
    ignore_null_updates: Columns | None = None
    truncates: bool = False

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("keys (KEYS): AUTO CDC needs at least one key column")
        if self.scd_type not in (1, 2):
            raise ValueError(f"stored_as_scd_type (STORED AS SCD TYPE) must be 1 or 2, got {self.scd_type!r}")
        if self.truncates and self.scd_type != 1:
            raise ValueError("apply_as_truncates (APPLY AS TRUNCATE WHEN) is supported for SCD type 1 only")
        if self.track_history != ALL and self.scd_type != 2:
            raise ValueError(
                "track_history_column_list / track_history_except_column_list (TRACK HISTORY ON) "
                "need SCD type 2"
            )
        selected = set(self.columns.names)
        if missing := [k for k in self.keys if (k in selected) == self.columns.all_but]:
            raise ValueError(f"keys {missing} must be among the target's columns (column_list / COLUMNS)")
        if clash := [name for name in self.columns.names if name in RESERVED]:
            raise ValueError(f"{clash} are the SCD type 2 columns AUTO CDC adds")

    @property
    def _keys(self) -> str:
        return _names(self.keys)

    def _events(self, source: str) -> str:
        """Each change with its sequence, checked, and what it is, then its own columns."""
        null_key = " OR ".join(f"{quoted(key)} IS NULL" for key in self.keys)
        truncate = f"coalesce({quoted(TRUNCATE)}, false)"
        events = (
            "SELECT\n"
            f"    CASE WHEN {quoted(SEQUENCE)} IS NULL THEN raise_error("
            "'[AUTOCDC_MICROBATCH_VALIDATION.NULL_SEQUENCE] a change has a NULL sequence') "
            f"ELSE {quoted(SEQUENCE)} END AS __seq,\n"
            f"    CASE WHEN NOT {truncate} AND ({null_key}) THEN raise_error("
            f"'[AUTOCDC_MICROBATCH_VALIDATION.NULL_KEY] a change has a NULL key ({', '.join(self.keys)})') "
            f"ELSE coalesce({quoted(DELETE)}, false) END AS __is_delete,\n"
            f"    {truncate} AS __is_truncate,\n"
            f"    * EXCEPT ({_names(FEED_COLUMNS)})\n"
            f"  FROM {source}"
        )
        changes = (
            "SELECT __seq, __is_delete, __is_truncate,\n"
            "    to_json(struct(* EXCEPT (__seq, __is_delete, __is_truncate))) AS __tb,\n"
            "    * EXCEPT (__seq, __is_delete, __is_truncate)\n"
            "  FROM events WHERE NOT __is_truncate"
        )
        steps = [("events", events), ("changes", changes)]
        if self.truncates:  # a truncate is a delete of every key, at its sequence
            steps += [
                ("truncates", "SELECT DISTINCT __seq FROM events WHERE __is_truncate"),
                (
                    "first_changes",
                    "SELECT * EXCEPT (__n) FROM (\n"
                    f"    SELECT *, row_number() OVER (PARTITION BY {self._keys} ORDER BY __seq) AS __n\n"
                    "    FROM changes\n"
                    "  ) WHERE __n = 1",
                ),
                (
                    "all_changes",
                    "SELECT * FROM changes\n  UNION ALL\n"
                    "  SELECT t.__seq, true, false, '',\n"
                    "    f.* EXCEPT (__seq, __is_delete, __is_truncate, __tb)\n"
                    "  FROM first_changes f CROSS JOIN truncates t",
                ),
            ]
        return self._with(steps)

    @staticmethod
    def _with(steps: list[tuple[str, str]]) -> str:
        return ",\n".join(f"{name} AS (\n  {body}\n)" for name, body in steps)

    @property
    def _changes(self) -> str:
        return "all_changes" if self.truncates else "changes"

    @property
    def _order(self) -> str:
        """Changes in the order they apply: by sequence; at an equal one a delete last, so it wins."""
        return "__seq, __is_delete, __tb"

    def _filled(self) -> str:
        """The changes with NULLs of an upsert replaced by the key's values (ignore_null_updates):
        each upsert's values as JSON fields, those that set nothing left out, merged in order since
        the key's last delete (the later field wins) and read back with the columns' types."""
        ignored = self.ignore_null_updates
        assert ignored is not None
        kept = Columns(ignored.names, not ignored.all_but)

        def fields(columns: Columns, nulls: bool) -> str:
            option = "" if not nulls else ", map('ignoreNullFields', 'false')"
            text = f"to_json({columns.struct(_EVENT)}{option})"
            return f"nullif(substr({text}, 2, length({text}) - 2), '')"

        sets = [fields(ignored, nulls=False)] + (
            [fields(kept, nulls=True)] if kept.names or kept.all_but else []
        )
        in_order = f"PARTITION BY {self._keys}, __segment ORDER BY {self._order} ROWS UNBOUNDED PRECEDING"
        return self._with(
            [
                (
                    "segmented",
                    "SELECT *,\n"
                    f"    count_if(__is_delete) OVER (PARTITION BY {self._keys} ORDER BY {self._order}\n"
                    "      ROWS UNBOUNDED PRECEDING) AS __segment,\n"
                    "    CASE WHEN __is_delete THEN NULL\n"
                    f"      ELSE concat_ws(',', {', '.join(sets)}) END AS __sets\n"
                    f"  FROM {self._changes}",
                ),
                (
                    "merged",
                    "SELECT __seq, __is_delete, __is_truncate, __tb,\n"
                    # chr(123) and chr(125) are the braces: the query holds no other than `{source}`
                    "    from_json(concat(chr(123), concat_ws(',', collect_list(__sets) OVER ("
                    f"{in_order})), chr(125)),\n"
                    f"      typeof(struct(* EXCEPT ({_names([*_EVENT, '__segment', '__sets'])})))) AS __row\n"
                    "  FROM segmented",
                ),
                ("rows", "SELECT __seq, __is_delete, __is_truncate, __tb, __row.* FROM merged"),
            ]
        )

    def _target(self, helpers: Sequence[str]) -> str:
        """The target's columns, as a select list: without the helpers and excepted columns."""
        if self.columns.all_but:
            return f"* EXCEPT ({_names([*helpers, *self.columns.names])})"
        return _names(self.columns.names)

    def _tracked(self) -> str:
        """The values whose change opens a version (SCD type 2), as a struct."""
        not_values = [*_EVENT, "__rank", *self.keys]
        if self.track_history.all_but:
            untracked = [*self.track_history.names, *(self.columns.names if self.columns.all_but else ())]
            if self.columns.all_but:
                return f"struct(* EXCEPT ({_names([*not_values, *untracked])}))"
            return Columns(self.columns.names, all_but=False).struct([*not_values, *untracked])
        return self.track_history.struct()

    def query(self, source: str = "{source}") -> str:
        """The SQL of the target: SCD type 1 (the latest row per key) or 2 (every version)."""
        steps = self._events(source)
        rows = self._changes
        if self.ignore_null_updates is not None:
            steps += ",\n" + self._filled()
            rows = "rows"
        if self.scd_type == 1:
            return (
                f"WITH {steps},\n"
                "ranked AS (\n"
                "  SELECT *, row_number() OVER (\n"
                f"    PARTITION BY {self._keys} ORDER BY __seq DESC, __is_delete DESC, __tb DESC) AS __rank\n"
                f"  FROM {rows}\n"
                ")\n"
                f"SELECT {self._target([*_EVENT, '__rank'])}\n"
                "FROM ranked WHERE __rank = 1 AND NOT __is_delete"
            )
        in_order = f"PARTITION BY {self._keys} ORDER BY __seq"
        return (
            f"WITH {steps},\n"
            "distinct_events AS (\n"
            "  SELECT * FROM (\n"
            "    SELECT *, row_number() OVER (\n"
            f"      PARTITION BY {self._keys}, __seq ORDER BY __is_delete DESC, __tb DESC) AS __rank\n"
            f"    FROM {rows}\n"
            "  ) WHERE __rank = 1\n"
            "),\n"
            "tracked AS (\n"
            f"  SELECT *, to_json({self._tracked()}) AS __values\n"
            "  FROM distinct_events\n"
            "),\n"
            "marked AS (\n"
            "  SELECT *, NOT __is_delete AND (\n"
            "    lag(__seq) OVER changes IS NULL OR lag(__is_delete) OVER changes\n"
            "    OR NOT (lag(__values) OVER changes <=> __values)\n"
            "  ) AS __opens\n"
            f"  FROM tracked WINDOW changes AS ({in_order})\n"
            "),\n"
            "numbered AS (\n"
            "  SELECT *,\n"
            f"    count_if(__opens) OVER ({in_order} ROWS UNBOUNDED PRECEDING) AS __version,\n"
            "    min(CASE WHEN __opens OR __is_delete THEN __seq END)\n"
            f"      OVER ({in_order} ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS __next\n"
            "  FROM marked\n"
            "),\n"
            "versions AS (\n"
            "  SELECT *,\n"
            f"    min(__seq) OVER (PARTITION BY {self._keys}, __version) AS __start,\n"
            f"    row_number() OVER (PARTITION BY {self._keys}, __version ORDER BY __seq DESC) AS __last\n"
            "  FROM numbered WHERE NOT __is_delete\n"
            ")\n"
            f"SELECT {self._target([*_EVENT, *_SCD2])},\n"
            "  __start AS __START_AT, __next AS __END_AT\n"
            "FROM versions WHERE __last = 1"
        )

    def ties_query(self, source: str = "{source}") -> str:
        """Keys and sequences that different changes share (the keys, `sequence`, `changes`)."""
        what = "__is_delete, CASE WHEN __is_delete THEN '' ELSE __tb END"
        return (
            f"WITH {self._events(source)}\n"
            f"SELECT {self._keys}, __seq AS sequence, count(DISTINCT {what}) AS changes\n"
            f"FROM {self._changes} GROUP BY {self._keys}, __seq\n"
            f"HAVING count(DISTINCT {what}) > 1 ORDER BY {self._keys}, __seq"
        )

    def tie_warnings(self, rows: Sequence[dict[str, object]], target: str) -> list[str]:
        """One line per tie that ties_query() found, naming the key and the sequence."""
        return [
            f"AUTO CDC into {target}: {row['changes']} different changes of "
            + ", ".join(f"{key}={row[key]!r}" for key in self.keys)
            + f" share sequence {row['sequence']!r}; Databricks leaves the result undefined "
            "(locally a delete wins, else the greater row)"
            for row in rows
        ]


def feed_expressions(sequence_by: str, deletes: str | None = None, truncates: str | None = None) -> list[str]:
    """What the changes table adds to the source's columns (FEED_COLUMNS), as SQL expressions. A
    delete or truncate condition that is NULL counts as false."""
    return [
        f"({sequence_by}) AS {quoted(SEQUENCE)}",
        f"coalesce(({deletes or 'false'}), false) AS {quoted(DELETE)}",
        f"coalesce(({truncates or 'false'}), false) AS {quoted(TRUNCATE)}",
    ]


VERSION = "__auto_cdc_version"
"""The snapshot a row belongs to, in the snapshots the stand-in of AUTO CDC FROM SNAPSHOT reads."""
TAKEN = "__auto_cdc_taken"
"""When a local run took a snapshot of a table (a table source's version is its rank, from 0)."""


def snapshot_changes(keys: Sequence[str], source: str = "{source}", taken: bool = False) -> str:
    """The changes between consecutive snapshots, as a change feed for AutoCdc.query(): every row
    of every snapshot an upsert at its version (AUTO CDC opens no version for values that stay the
    same), and a delete at the next version for each key that a snapshot no longer has. `source`
    holds the snapshots' rows with VERSION, or with TAKEN (`taken`), numbered here from 0."""
    join = " AND ".join(f"n.{quoted(key)} = d.{quoted(key)}" for key in keys)
    version = (
        f"dense_rank() OVER (ORDER BY {quoted(TAKEN)}) - 1 AS {quoted(VERSION)}, * EXCEPT ({quoted(TAKEN)})"
        if taken
        else "*"
    )
    return (
        "WITH snapshots AS (\n"
        f"  SELECT {version} FROM {source}\n"
        "),\n"
        "versions AS (\n"
        "  SELECT v, lead(v) OVER (ORDER BY v) AS next\n"
        f"  FROM (SELECT DISTINCT {quoted(VERSION)} AS v FROM snapshots)\n"
        "),\n"
        "gone AS (\n"
        "  SELECT s.*, versions.next FROM snapshots s\n"
        f"  JOIN versions ON s.{quoted(VERSION)} = versions.v WHERE versions.next IS NOT NULL\n"
        ")\n"
        f"SELECT * EXCEPT ({quoted(VERSION)}), {quoted(VERSION)} AS {quoted(SEQUENCE)},\n"
        f"  false AS {quoted(DELETE)}, false AS {quoted(TRUNCATE)}\n"
        "FROM snapshots\n"
        "UNION ALL\n"
        f"SELECT d.* EXCEPT ({quoted(VERSION)}, next), d.next, true, false\n"
        f"FROM gone d LEFT ANTI JOIN snapshots n ON {join} AND n.{quoted(VERSION)} = d.next"
    )
