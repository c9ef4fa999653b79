"""AUTO CDC on Apache Spark: the query that computes an AUTO CDC target (SCD type 1 or 2) from the
whole change feed at once, with the semantics Databricks documents and Apache Spark implements.

Apache Spark 4.3 has `create_auto_cdc_flow`, but a local target fails
(AUTOCDC_TARGET_DOES_NOT_SUPPORT_MERGE: local tables are Parquet, not Delta). Locally the target
is therefore a materialized view over this query: the project's pipeline API uses it for Python
pipelines, sql.py for SQL ones; on Databricks the native flow runs. The rules, per key:

- Events are ordered by the sequencing column, whatever order they arrived in. A NULL sequencing
  value is an error, as on Databricks (AUTOCDC_MICROBATCH_VALIDATION.NULL_SEQUENCE).
- SCD type 1: the event with the highest sequence decides: an upsert gives the row, a delete
  removes the key, so an upsert older than a delete does not bring the key back. At equal
  sequences the upsert wins.
- SCD type 2: each upsert whose tracked values differ from the version before it opens a version
  at its sequence (`__START_AT`) and closes the previous one there (`__END_AT`); an upsert with
  the same tracked values does not, but its other values become the version's; a delete closes
  the current version and opens none. Late events land where their sequence puts them. At equal
  sequences a delete wins. Every column of the target but the keys is tracked, except
  `track_history_except`. `__START_AT` and `__END_AT` have the sequencing column's type; the open
  version has `__END_AT` NULL.
- `except_columns` leave the target; the sequencing and delete expressions are computed before.

`{source}` in the query stands for the change feed: a table name, or a DataFrame passed to
`spark.sql(query, source=...)`.
"""

from __future__ import annotations

from collections.abc import Sequence

HELPERS = (
    "__seq",
    "__is_delete",
    "__rank",
    "__values",
    "__opens",
    "__version",
    "__next",
    "__start",
    "__last",
)
"""The columns the SCD type 2 query works with, none of them in the target."""


def _columns(names: Sequence[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def scd_query(
    keys: Sequence[str],
    sequence_by: str,
    apply_as_deletes: str | None = None,
    except_columns: Sequence[str] = (),
    scd_type: int = 1,
    source: str = "{source}",
    track_history_except: Sequence[str] = (),
) -> str:
    """The SQL of the target: SCD type 1 (the latest row per key) or 2 (every version)."""
    if scd_type not in (1, 2):
        raise ValueError(f"stored_as_scd_type must be 1 or 2, got {scd_type!r}")
    if not keys:
        raise ValueError("AUTO CDC needs at least one key")
    key_list = _columns(keys)
    deleted = f"coalesce(({apply_as_deletes}), false)" if apply_as_deletes else "false"
    null_keys = " OR ".join(f"`{key}` IS NULL" for key in keys)
    events = (
        "SELECT *,\n"
        f"    CASE WHEN ({sequence_by}) IS NULL THEN raise_error("
        "'[AUTOCDC_MICROBATCH_VALIDATION.NULL_SEQUENCE] a change has a NULL sequencing value') "
        f"ELSE ({sequence_by}) END AS __seq,\n"
        f"    CASE WHEN {null_keys} THEN raise_error("
        "'[AUTOCDC_MICROBATCH_VALIDATION.NULL_KEY] a change has a NULL key') "
        f"ELSE {deleted} END AS __is_delete\n"
        f"  FROM {source}"
    )

    def without(*helpers: str, keys_too: bool = False) -> str:
        """`* EXCEPT` of what leaves the target: the excepted columns and these helpers."""
        return ", ".join(
            [
                *([key_list] if keys_too else []),
                *map(_columns, [except_columns] if except_columns else []),
                *helpers,
            ]
        )

    in_order = f"PARTITION BY {key_list} ORDER BY __seq"
    tracked_out = without(
        "__seq", "__is_delete", "__rank", *map("`{}`".format, track_history_except), keys_too=True
    )
    if scd_type == 1:
        return (
            f"WITH events AS (\n  {events}\n),\n"
            "ranked AS (\n"
            "  SELECT *,\n"
            f"    row_number() OVER (PARTITION BY {key_list} ORDER BY __seq DESC, __is_delete) AS __rank\n"
            "  FROM events\n"
            ")\n"
            f"SELECT * EXCEPT ({without('__seq', '__is_delete', '__rank')})\n"
            "FROM ranked WHERE __rank = 1 AND NOT __is_delete"
        )
    return (
        f"WITH events AS (\n  {events}\n),\n"
        "distinct_events AS (\n"
        "  SELECT * FROM (\n"
        "    SELECT *,\n"
        f"      row_number() OVER (PARTITION BY {key_list}, __seq ORDER BY __is_delete DESC) AS __rank\n"
        "    FROM events\n"
        "  ) WHERE __rank = 1\n"
        "),\n"
        "tracked AS (\n"
        f"  SELECT *, to_json(struct(* EXCEPT ({tracked_out}))) AS __values\n"
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
        f"    min(__seq) OVER (PARTITION BY {key_list}, __version) AS __start,\n"
        f"    row_number() OVER (PARTITION BY {key_list}, __version ORDER BY __seq DESC) AS __last\n"
        "  FROM numbered WHERE NOT __is_delete\n"
        ")\n"
        f"SELECT * EXCEPT ({without(*HELPERS)}),\n"
        "  __start AS __START_AT, __next AS __END_AT\n"
        "FROM versions WHERE __last = 1"
    )
