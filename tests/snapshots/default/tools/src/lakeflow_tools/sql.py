"""The SQL dataset files of the project's pipelines, and the one place where Databricks SQL and
Apache Spark's Spark Declarative Pipelines differ for them.

A dataset file holds one statement of the portable subset:

    CREATE OR REFRESH STREAMING TABLE name | MATERIALIZED VIEW name | TEMPORARY VIEW name
      [(CONSTRAINT rule EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE], ...)]
      [COMMENT '...']
    AS SELECT ... FROM STREAM(source) | source ...

or an AUTO CDC target and its one flow:

    CREATE OR REFRESH STREAMING TABLE name [COMMENT '...'];
    CREATE FLOW flow AS AUTO CDC INTO name FROM STREAM(source) KEYS (key, ...)
      [APPLY AS DELETE WHEN condition] SEQUENCE BY column
      [COLUMNS * EXCEPT (column, ...)] STORED AS SCD TYPE 1 | 2
      [TRACK HISTORY ON * EXCEPT (column, ...)];

Databricks runs it as written. Apache Spark has no `CONSTRAINT ... EXPECT` and no `OR REFRESH`:
`portable()` rewrites the statement so that the expectations act as on Databricks (a FAIL UPDATE
rule stops the update naming the rule, DROP ROW rules filter, the rest only count), judged on the
query's own rows; an AUTO CDC target, which Apache Spark 4.3 cannot write locally, becomes a
materialized view computing the same table from the whole change feed (cdc.py). Landing files
(Auto Loader on Databricks) are read by a Python temporary view, `<pipeline>_landing`, through the
project's landing module: SQL reads that view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import cdc

ACTIONS: dict[str | None, str] = {"DROP ROW": "drop", "FAIL UPDATE": "fail", None: "warn"}
KINDS: dict[str | None, str] = {
    "STREAMING TABLE": "streaming_table",
    "MATERIALIZED VIEW": "materialized_view",
    "TEMPORARY VIEW": "temporary_view",
}

_STATEMENT = re.compile(
    r"CREATE\s+(?:OR\s+REFRESH\s+)?(?P<kind>STREAMING\s+TABLE|MATERIALIZED\s+VIEW|TEMPORARY\s+VIEW)\s+(?P<name>\w+)\s*"
    r"(?:\((?P<constraints>\s*CONSTRAINT\b.*?)\)\s*)?"
    r"(?:COMMENT\s+(?P<comment>'(?:[^']|'')*')\s*)?"
    r"AS\s+(?P<query>.*?);?\s*$",
    re.DOTALL | re.IGNORECASE,
)
_CONSTRAINT = re.compile(
    r"CONSTRAINT\s+(?P<name>\w+)\s+EXPECT\s*\((?P<condition>.*?)\)"
    r"(?:\s+ON\s+VIOLATION\s+(?P<action>DROP\s+ROW|FAIL\s+UPDATE))?\s*(?=,|$)",
    re.DOTALL | re.IGNORECASE,
)
_AUTO_CDC = re.compile(
    r"CREATE\s+(?:OR\s+REFRESH\s+)?STREAMING\s+TABLE\s+(?P<name>\w+)\s*"
    r"(?:COMMENT\s+(?P<comment>'(?:[^']|'')*')\s*)?;\s*"
    r"CREATE\s+FLOW\s+\w+\s+AS\s+AUTO\s+CDC\s+INTO\s+(?P<target>\w+)\s+"
    r"FROM\s+STREAM\s*\(\s*(?P<source>\w+)\s*\)\s+"
    r"KEYS\s*\((?P<keys>[^)]*)\)\s+"
    r"(?:APPLY\s+AS\s+DELETE\s+WHEN\s+(?P<deletes>.+?)\s+)?"
    r"SEQUENCE\s+BY\s+(?P<sequence>\w+)\s+"
    r"(?:COLUMNS\s+\*\s+EXCEPT\s*\((?P<except>[^)]*)\)\s+)?"
    r"STORED\s+AS\s+SCD\s+TYPE\s+(?P<scd>[12])\s*"
    r"(?:TRACK\s+HISTORY\s+ON\s+\*\s+EXCEPT\s*\((?P<untracked>[^)]*)\)\s*)?;?\s*$",
    re.DOTALL | re.IGNORECASE,
)
_STREAM = re.compile(r"\bSTREAM\s*\(\s*(\w+)\s*\)", re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^\s*--.*$", re.MULTILINE)


@dataclass(frozen=True)
class Expectation:
    name: str
    constraint: str
    action: str  # warn, drop or fail, as the Python API names them

    def holds(self) -> str:
        """SQL that is true where a row satisfies the rule; NULL counts as a violation."""
        return f"coalesce(({self.constraint}), false)"


@dataclass(frozen=True)
class AutoCdc:
    """How an AUTO CDC flow applies a change feed to its target."""

    source: str
    keys: tuple[str, ...]
    sequence_by: str
    apply_as_deletes: str | None
    except_columns: tuple[str, ...]
    scd_type: int
    track_history_except: tuple[str, ...] = ()

    def query(self, source: str | None = None) -> str:
        """The target, computed from the whole feed (cdc.py)."""
        return cdc.scd_query(
            self.keys,
            self.sequence_by,
            self.apply_as_deletes,
            self.except_columns,
            self.scd_type,
            source or self.source,
            self.track_history_except,
        )


@dataclass(frozen=True)
class SqlDataset:
    name: str
    kind: str
    query: str
    comment: str | None
    expectations: tuple[Expectation, ...]
    auto_cdc: AutoCdc | None = None

    @property
    def sources(self) -> list[str]:
        """Datasets the query reads as a stream."""
        return [self.auto_cdc.source] if self.auto_cdc else _STREAM.findall(self.query)


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(name.strip().strip("`") for name in (text or "").split(",") if name.strip())


def _auto_cdc(statement: str) -> SqlDataset:
    match = _AUTO_CDC.fullmatch(statement)
    if not match:
        raise ValueError(
            f"an AUTO CDC file of the portable subset holds its target and one flow: {statement[:80]!r}"
        )
    if match["target"] != match["name"]:
        raise ValueError(
            f"the AUTO CDC flow writes {match['target']}, not the table {match['name']} declared with it"
        )
    auto_cdc = AutoCdc(
        source=match["source"],
        keys=_names(match["keys"]),
        sequence_by=match["sequence"],
        apply_as_deletes=" ".join(match["deletes"].split()) if match["deletes"] else None,
        except_columns=_names(match["except"]),
        scd_type=int(match["scd"]),
        track_history_except=_names(match["untracked"]),
    )
    return SqlDataset(
        name=match["name"],
        kind="streaming_table",
        query=auto_cdc.query(),
        comment=match["comment"][1:-1].replace("''", "'") if match["comment"] else None,
        expectations=(),
        auto_cdc=auto_cdc,
    )


def parse(text: str) -> SqlDataset:
    """The statement of a dataset file; a ValueError names what does not fit the subset."""
    statement = _COMMENT_LINE.sub("", text).strip()
    if re.search(r"\bAUTO\s+CDC\b", statement, re.IGNORECASE):
        return _auto_cdc(statement)
    match = _STATEMENT.fullmatch(statement)
    if not match:
        raise ValueError(f"not a dataset statement of the portable subset: {statement[:80]!r}")
    constraints = (match["constraints"] or "").strip()
    expectations = tuple(
        Expectation(m["name"], " ".join(m["condition"].split()), ACTIONS[_normal(m["action"])])
        for m in _CONSTRAINT.finditer(constraints)
    )
    if constraints and len(expectations) != constraints.upper().count("CONSTRAINT"):
        raise ValueError(f"{match['name']}: a constraint is not `CONSTRAINT name EXPECT (condition) ...`")
    return SqlDataset(
        name=match["name"],
        kind=KINDS[_normal(match["kind"])],
        query=match["query"].strip(),
        comment=match["comment"][1:-1].replace("''", "'") if match["comment"] else None,
        expectations=expectations,
    )


def _normal(words: str | None) -> str | None:
    return " ".join(words.upper().split()) if words else None


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def checked(query: str, expectations: tuple[Expectation, ...]) -> str:
    """The query with its expectations applied: FAIL UPDATE rules raise on the query's rows first,
    then DROP ROW rules filter, as on Databricks."""
    for rule in (r for r in expectations if r.action == "fail"):
        message = f"Expectation '{rule.name}' failed (expect_or_fail): {rule.constraint}"
        check = f"CASE WHEN {rule.holds()} THEN true ELSE raise_error({_quote(message)}) END"
        query = f"SELECT * FROM ({query}) WHERE {check}"
    drops = [rule.holds() for rule in expectations if rule.action == "drop"]
    return f"SELECT * FROM ({query}) WHERE {' AND '.join(drops)}" if drops else query


def portable(text: str) -> str:
    """The statement as Apache Spark's Spark Declarative Pipelines runs it."""
    dataset = parse(text)
    comment = f" COMMENT {_quote(dataset.comment)}" if dataset.comment else ""
    if dataset.auto_cdc:
        return f"CREATE MATERIALIZED VIEW {dataset.name}{comment} AS {dataset.query}"
    kind = dataset.kind.replace("_", " ").upper()
    return f"CREATE {kind} {dataset.name}{comment} AS {checked(dataset.query, dataset.expectations)}"


def batch_query(dataset: SqlDataset, *, with_expectations: bool = True) -> str:
    """The dataset's query over its inputs in batch (`STREAM(x)` reads `x`), for tests and audits."""
    if dataset.auto_cdc:
        return dataset.query
    query = _STREAM.sub(r"\1", dataset.query)
    return checked(query, dataset.expectations) if with_expectations else query
