"""The SQL dataset files of the project's pipelines, and the one place where Databricks SQL and
Apache Spark's Spark Declarative Pipelines differ for them.

A dataset file holds one statement of the portable subset:

    CREATE OR REFRESH STREAMING TABLE name | MATERIALIZED VIEW name | TEMPORARY VIEW name
      [(CONSTRAINT rule EXPECT (condition) [ON VIOLATION DROP ROW | FAIL UPDATE], ...)]
      [COMMENT '...']
    AS SELECT ... FROM STREAM(source) | source ...

or an AUTO CDC target and its one flow, as Databricks documents AUTO CDC INTO:

    CREATE OR REFRESH STREAMING TABLE name [COMMENT '...'];
    CREATE FLOW flow AS AUTO CDC INTO name FROM STREAM(source) | source
      KEYS (key, ...) [IGNORE NULL UPDATES [ON (column, ...) | ON * EXCEPT (column, ...)]]
      [APPLY AS DELETE WHEN condition] [APPLY AS TRUNCATE WHEN condition]
      SEQUENCE BY expression [COLUMNS (column, ...) | COLUMNS * EXCEPT (column, ...)]
      [STORED AS SCD TYPE 1 | 2] [TRACK HISTORY ON (column, ...) | * EXCEPT (column, ...)];

Databricks runs it as written. Apache Spark has no `CONSTRAINT ... EXPECT` and no `OR REFRESH`:
`portable()` rewrites the statement so that the expectations act as on Databricks (a FAIL UPDATE
rule stops the update naming the rule, DROP ROW rules filter, the rest only count), judged on the
query's own rows; an AUTO CDC target, which Apache Spark 4.3 cannot write locally, becomes a
streaming table of the changes read and a materialized view computing the target from them
(cdc.py); what the local stand-in cannot do stops the parse, naming the clause. Landing files
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
_NAME = r"(?:`[^`]+`|\w+)(?:\s*\.\s*(?:`[^`]+`|\w+))*"
_AUTO_CDC = re.compile(
    r"CREATE\s+(?:OR\s+REFRESH\s+)?STREAMING\s+TABLE\s+(?P<name>\w+)\s*"
    r"(?:COMMENT\s+(?P<comment>'(?:[^']|'')*')\s*)?;\s*"
    r"CREATE\s+FLOW\s+(?P<flow>\w+)\s+(?:COMMENT\s+'(?:[^']|'')*'\s+)?AS\s+AUTO\s+CDC\s+(?P<once>ONCE\s+)?"
    r"INTO\s+(?P<target>\w+)\s+"
    rf"FROM\s+(?:STREAM\s*\(\s*(?P<stream>{_NAME})\s*\)|STREAM\s+(?P<stream_name>{_NAME})|(?P<table>{_NAME}))\s+"
    r"(?P<clauses>.*?);?\s*$",
    re.DOTALL | re.IGNORECASE,
)
_CLAUSES = {  # as Databricks documents them, in their order; None: not supported by the stand-in
    "KEYS": r"KEYS",
    "IGNORE NULL UPDATES": r"IGNORE\s+NULL\s+UPDATES",
    "APPLY AS DELETE WHEN": r"APPLY\s+AS\s+DELETE\s+WHEN",
    "APPLY AS TRUNCATE WHEN": r"APPLY\s+AS\s+TRUNCATE\s+WHEN",
    "SEQUENCE BY": r"(?<!SYSTEM\s)SEQUENCE\s+BY",
    "SYSTEM SEQUENCE BY": r"SYSTEM\s+SEQUENCE\s+BY",
    "COLUMNS": r"COLUMNS(?!\s+TO\s+UPDATE)",
    "STORED AS": r"STORED\s+AS",
    "TRACK HISTORY ON": r"TRACK\s+HISTORY\s+ON",
    "COLUMNS TO UPDATE": r"COLUMNS\s+TO\s+UPDATE",
}
_UNSUPPORTED = {
    "SYSTEM SEQUENCE BY": "bitemporal tables",
    "COLUMNS TO UPDATE": "partial updates by a column of column names",
}
_COLUMN_LIST = re.compile(r"(?P<star>\*\s+EXCEPT\s*)?\((?P<names>[^()]*)\)", re.IGNORECASE)
_STREAM = re.compile(rf"\bSTREAM\s*\(\s*({_NAME})\s*\)", re.IGNORECASE)
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
class AutoCdcFlow:
    """An AUTO CDC INTO flow: where its changes come from, how they are sequenced and what they
    do (SQL expressions), and how they apply to the target (cdc.py)."""

    name: str
    source: str
    sequence_by: str
    apply_as_deletes: str | None
    apply_as_truncates: str | None
    spec: cdc.AutoCdc

    @property
    def scd_type(self) -> int:
        return self.spec.scd_type

    @property
    def keys(self) -> tuple[str, ...]:
        return self.spec.keys

    def changes(self, source: str) -> str:
        """The source's rows with the flow's sequence and what each change is (cdc.FEED_COLUMNS)."""
        expressions = cdc.feed_expressions(self.sequence_by, self.apply_as_deletes, self.apply_as_truncates)
        return f"SELECT *, {', '.join(expressions)} FROM {source}"


@dataclass(frozen=True)
class SqlDataset:
    name: str
    kind: str
    query: str
    comment: str | None
    expectations: tuple[Expectation, ...]
    auto_cdc: AutoCdcFlow | None = None

    @property
    def sources(self) -> list[str]:
        """Datasets the query reads as a stream."""
        return [self.auto_cdc.source] if self.auto_cdc else _STREAM.findall(self.query)


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(name.strip().strip("`") for name in (text or "").split(",") if name.strip())


def _masked(text: str) -> str:
    """The text with what is inside quotes and parentheses blanked, so that only the words of
    the statement itself are searched for clauses."""
    masked, depth, quote = [], 0, ""
    for char in text:
        if quote:
            masked.append(" ")
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
            masked.append(" ")
        elif char == "(":
            depth += 1
            masked.append(char if depth == 1 else " ")
        elif char == ")":
            depth -= 1
            masked.append(char if depth == 0 else " ")
        else:
            masked.append(char if depth == 0 else " ")
    return "".join(masked)


def _clauses(text: str, target: str) -> dict[str, str]:
    """The clauses of an AUTO CDC INTO statement by name, each with its text, in the documented
    order; what is not a clause, or comes out of order or twice, is a ValueError naming it."""
    masked = _masked(text)
    found = sorted(
        (match.start(), match.end(), name)
        for name, pattern in _CLAUSES.items()
        for match in re.finditer(rf"(?<![\w.]){pattern}\b", masked, re.IGNORECASE)
    )
    if not found or text[: found[0][0]].strip():
        raise ValueError(f"AUTO CDC INTO {target}: expected KEYS (...) after FROM, got {text[:60]!r}")
    order = list(_CLAUSES)
    clauses: dict[str, str] = {}
    for i, (_start, end, name) in enumerate(found):
        if name in clauses:
            raise ValueError(f"AUTO CDC INTO {target}: {name} appears twice")
        if clauses and order.index(name) < order.index(list(clauses)[-1]):
            raise ValueError(f"AUTO CDC INTO {target}: {name} must come before {list(clauses)[-1]}")
        if name in _UNSUPPORTED:
            raise ValueError(
                f"AUTO CDC INTO {target}: {name} ({_UNSUPPORTED[name]}) is not supported by the local "
                "AUTO CDC stand-in; Databricks runs it"
            )
        clauses[name] = " ".join(text[end : found[i + 1][0] if i + 1 < len(found) else len(text)].split())
    for required in ("KEYS", "SEQUENCE BY"):
        if not clauses.get(required):
            raise ValueError(f"AUTO CDC INTO {target}: {required} is required")
    return clauses


def _column_list(clause: str, text: str, target: str) -> cdc.Columns:
    """`(a, b)` or `* EXCEPT (a, b)`."""
    match = _COLUMN_LIST.fullmatch(text)
    if not match:
        raise ValueError(
            f"AUTO CDC INTO {target}: {clause} takes (column, ...) or * EXCEPT (column, ...), got {text!r}"
        )
    return cdc.Columns(_names(match["names"]), all_but=bool(match["star"]))


def _auto_cdc(statement: str) -> SqlDataset:
    match = _AUTO_CDC.fullmatch(statement)
    if not match:
        raise ValueError(
            "an AUTO CDC file of the portable subset holds its target and one flow, "
            f"CREATE FLOW ... AS AUTO CDC INTO ...: {statement[:80]!r}"
        )
    target = match["target"]
    if target != match["name"]:
        raise ValueError(f"the AUTO CDC flow writes {target}, not the table {match['name']} declared with it")
    if match["once"]:
        raise ValueError(
            f"AUTO CDC ONCE INTO {target}: a one-time flow is not supported by the local AUTO CDC "
            "stand-in (Apache Spark 4.3 refuses once flows over Spark Connect); Databricks runs it"
        )
    clauses = _clauses(match["clauses"], target)
    ignore_nulls = clauses.get("IGNORE NULL UPDATES")
    if ignore_nulls is not None and ignore_nulls and not ignore_nulls.upper().startswith("ON "):
        raise ValueError(
            f"AUTO CDC INTO {target}: IGNORE NULL UPDATES takes nothing or ON (...), got {ignore_nulls!r}"
        )
    stored = clauses.get("STORED AS", "SCD TYPE 1")
    scd = re.fullmatch(r"SCD\s+TYPE\s+([12])", stored, re.IGNORECASE)
    if not scd:
        raise ValueError(
            f"AUTO CDC INTO {target}: STORED AS takes SCD TYPE 1 or SCD TYPE 2 locally, got {stored!r}"
        )
    spec = cdc.AutoCdc(
        keys=_names(clauses["KEYS"].strip("() ")),
        scd_type=int(scd[1]),
        columns=_column_list("COLUMNS", clauses["COLUMNS"], target) if "COLUMNS" in clauses else cdc.ALL,
        track_history=(
            _column_list("TRACK HISTORY ON", clauses["TRACK HISTORY ON"], target)
            if "TRACK HISTORY ON" in clauses
            else cdc.ALL
        ),
        ignore_null_updates=(
            None
            if ignore_nulls is None
            else _column_list("IGNORE NULL UPDATES ON", ignore_nulls[3:].strip(), target)
            if ignore_nulls
            else cdc.ALL
        ),
        truncates="APPLY AS TRUNCATE WHEN" in clauses,
    )
    flow = AutoCdcFlow(
        name=match["flow"],
        source=" ".join((match["stream"] or match["stream_name"] or match["table"]).split()).replace(" ", ""),
        sequence_by=clauses["SEQUENCE BY"],
        apply_as_deletes=clauses.get("APPLY AS DELETE WHEN"),
        apply_as_truncates=clauses.get("APPLY AS TRUNCATE WHEN"),
        spec=spec,
    )
    return SqlDataset(
        name=match["name"],
        kind="streaming_table",
        query=spec.query(cdc.changes_table(target)),
        comment=match["comment"][1:-1].replace("''", "'") if match["comment"] else None,
        expectations=(),
        auto_cdc=flow,
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
    if dataset.auto_cdc:  # the changes the flow reads, kept; the target computed from them
        changes = dataset.auto_cdc.changes(f"STREAM({dataset.auto_cdc.source})")
        return (
            f"CREATE STREAMING TABLE {cdc.changes_table(dataset.name)} AS {changes};\n"
            f"CREATE MATERIALIZED VIEW {dataset.name}{comment} AS {dataset.query}"
        )
    kind = dataset.kind.replace("_", " ").upper()
    return f"CREATE {kind} {dataset.name}{comment} AS {checked(dataset.query, dataset.expectations)}"


def batch_query(dataset: SqlDataset, *, with_expectations: bool = True) -> str:
    """The dataset's query over its inputs in batch (`STREAM(x)` reads `x`), for tests and audits."""
    if dataset.auto_cdc:
        return dataset.auto_cdc.spec.query(f"({dataset.auto_cdc.changes(dataset.auto_cdc.source)})")
    query = _STREAM.sub(r"\1", dataset.query)
    return checked(query, dataset.expectations) if with_expectations else query
