"""AUTO CDC where Apache Spark cannot run it: locally (Spark 4.3, Parquet tables, no Delta) a
`create_auto_cdc_flow` target fails with AUTOCDC_TARGET_DOES_NOT_SUPPORT_MERGE. Here the target
becomes a materialized view computing the same table from the whole change feed, with the
semantics Databricks documents (lakeflow_tools.cdc has them and the query); on Databricks
``pipelines.py`` uses the native functions instead and this module is not used.

A streaming table is declared before its flows, but only its flows say whether it is an AUTO CDC
target: so locally ``create_streaming_table`` waits for the first flow into the table, which
registers it as declared (``append_flow``) or in its place the materialized view
(``create_auto_cdc_flow``).
"""

import inspect

from pyspark import pipelines as _native
from pyspark.sql import DataFrame

_declared: dict[str, dict] = {}
"""Streaming tables declared and not yet registered, with their options."""
_written: set[str] = set()
"""Tables an append flow already writes to (a later declaration registers at once)."""


def create_streaming_table(name: str, **options) -> None:
    if name in _written:
        _native.create_streaming_table(name, **options)
    else:
        _declared[name] = options


def append_flow(*, target: str, **options):
    if target in _declared:
        _native.create_streaming_table(target, **_declared.pop(target))
    _written.add(target)
    return _native.append_flow(target=target, **options)


def create_auto_cdc_flow(
    target: str,
    source: str,
    keys: list[str],
    sequence_by: str,
    apply_as_deletes: str | None = None,
    except_column_list: list[str] | None = None,
    stored_as_scd_type: int | str = 1,
    *,
    track_history_except_column_list: list[str] | None = None,
    **unsupported,
) -> None:
    """The target as a materialized view over the source's whole change feed."""
    from lakeflow_tools.cdc import scd_query  # development tooling: present wherever this runs

    if unsupported or not isinstance(sequence_by, str) or not all(isinstance(key, str) for key in keys):
        raise NotImplementedError(
            "the local AUTO CDC stand-in takes column names for keys and sequence_by, and none of "
            f"{sorted(unsupported)}; Databricks takes them all"
        )
    query = scd_query(
        keys,
        sequence_by,
        apply_as_deletes,
        except_column_list or [],
        int(stored_as_scd_type),
        track_history_except=track_history_except_column_list or [],
    )
    caller = inspect.currentframe().f_back
    spark = caller.f_globals.get("spark")  # the calling file's session, which the runtime gave it
    options = _declared.pop(target, {})

    def changes_applied() -> DataFrame:
        return spark.sql(query, source=spark.read.table(source))

    changes_applied.__auto_cdc__ = {
        "source": source,
        "keys": list(keys),
        "sequence_by": sequence_by,
        "scd_type": int(stored_as_scd_type),
        "defined_at": (caller.f_code.co_filename, caller.f_lineno),
    }
    _native.materialized_view(changes_applied, name=target, comment=options.get("comment"))
