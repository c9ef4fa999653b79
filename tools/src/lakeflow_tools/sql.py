"""The SQL dataset files of the project's pipelines, and the one place where Databricks SQL and
Apache Spark's Spark Declarative Pipelines differ for them.

A dataset file holds one statement of the portable subset:

    CREATE OR REFRESH STREAMING TABLE name | MATERIALIZED VIEW name | TEMPORARY VIEW name
      [(CONSTRAINT rule EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE], ...)]
      [COMMENT '...']
    AS SELECT ... FROM STREAM(source) | source ...

Databricks runs it as written. Apache Spark has no `CONSTRAINT ... EXPECT` and no `OR REFRESH`:
`portable()` rewrites the statement so that the expectations act as on Databricks (a FAIL UPDATE
rule stops the update naming the rule, DROP ROW rules filter, the rest only count), judged on the
query's own rows. Landing files (Auto Loader on Databricks) are read by a Python temporary view,
`<pipeline>_landing`, through the project's landing module: SQL reads that view.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACTIONS = {"DROP ROW": "drop", "FAIL UPDATE": "fail", None: "warn"}
KINDS = {
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
class SqlDataset:
    name: str
    kind: str
    query: str
    comment: str | None
    expectations: tuple[Expectation, ...]

    @property
    def sources(self) -> list[str]:
        """Datasets the query reads as a stream."""
        return _STREAM.findall(self.query)


def parse(text: str) -> SqlDataset:
    """The one statement of a dataset file; a ValueError names what does not fit the subset."""
    statement = _COMMENT_LINE.sub("", text).strip()
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
    kind = dataset.kind.replace("_", " ").upper()
    return f"CREATE {kind} {dataset.name}{comment} AS {checked(dataset.query, dataset.expectations)}"


def batch_query(dataset: SqlDataset, *, with_expectations: bool = True) -> str:
    """The dataset's query over its inputs in batch (`STREAM(x)` reads `x`), for tests and audits."""
    query = _STREAM.sub(r"\1", dataset.query)
    return checked(query, dataset.expectations) if with_expectations else query
