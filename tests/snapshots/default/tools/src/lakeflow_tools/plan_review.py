"""`plan-review`: a saved deployment plan (`databricks bundle plan --output json`) as the Markdown
its approver reads, and whether it may be deployed as it stands.

    plan-review PLAN_JSON [--allow-destructive] [--migrating] [--target NAME] [--verdict FILE]

The summary (standard output) lists each resource the plan creates, changes, deletes or
recreates, with the fields that change and why, and names apart what it deletes or recreates
that holds data or history. Exit code 0: the plan may be deployed. 1: it deletes or recreates
such a resource (each is named on standard error) and --allow-destructive was not given: a
person sets that on purpose, and the summary says it was used. 2: not a plan this command can
review: unreadable, of another plan version, or made on a deployment state that still uses the
Terraform engine (which `bundle deploy --plan` refuses) outside a --migrating run.

--verdict FILE writes what the deploy needs to know as JSON: the state's engine, the destructive
resources, and `auto_approve`, true only when a destructive plan was allowed (the CLI asks for
`--auto-approve` exactly then).

The plan's shape is the Databricks CLI's, read from its source (github.com/databricks/cli, v1.13.0):
bundle/deployplan/plan.go (plan_version 2: cli_version, lineage, serial, and per resource key an
action with its changes; a Terraform-engine plan has no plan_version) and
bundle/deployplan/action.go (the actions and how they count).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLAN_VERSION = 2
"""The plan version of the Databricks CLI this reads (deployplan.currentPlanVersion)."""

DESTRUCTIVE_ACTIONS = ("recreate", "delete")

LOSSES: Mapping[str, str] = {
    # The resource types for which the CLI itself asks before a delete or recreate
    # (bundle/phases/deploy.go, deployApprovalGroups), in its words.
    "schemas": "every table, view and volume in it (the CLI deletes schemas with force)",
    "pipelines": (
        "its streaming tables and materialized views; a full refresh rebuilds them only from "
        "the source data still there, and their history is lost"
    ),
    "volumes": "its files (a managed volume's files are deleted from storage within 30 days)",
    "dashboards": "its ID and permanent URL",
    "database_instances": "all data stored in it",
    "synced_database_tables": "the synced data in the destination database",
    "postgres_projects": "its branches, databases and endpoints, with all their data",
    "postgres_branches": "all data stored in it",
    "postgres_databases": "all data stored in it",
    "vector_search_indexes": "its embeddings or upserted vectors",
    "genie_spaces": "the conversation history attached to it",
    # More that hold data or history, which the CLI deletes without asking.
    "catalogs": "every schema, table and volume in it",
    "jobs": "its run history",
    "experiments": "its runs, metrics and artifacts",
    "registered_models": "its model versions",
    "models": "its model versions",
    "quality_monitors": "its metric tables and their history",
}
"""What a deleted or recreated resource takes with it, by resource type."""

REASONS: Mapping[str, str] = {
    "immutable": "cannot change in place",
    "id_changes": "changes its ID",
    "id_field": "part of its ID",
    "backend_default": "a default the workspace sets",
    "remote_already_set": "already so in the workspace",
}
"""The CLI's reasons for a change (bundle/deployplan/plan.go, bundle/direct/dresources/resources.yml)."""

VALUE_WIDTH = 60


class PlanError(Exception):
    """The file is not a plan this command can review; the message says why."""


@dataclass(frozen=True)
class Change:
    """One field of a resource, as the plan changes it."""

    field: str
    action: str
    reason: str
    values: tuple[Any, ...]
    """(before, after), when the plan gives them: the deployed value (or the workspace's) and the new one."""


@dataclass(frozen=True)
class Entry:
    """One resource of the plan: `resources.<type>.<name>`, or a resource's `.permissions` or
    `.grants`, which the CLI plans as nodes of their own."""

    key: str
    action: str
    gone: bool
    changes: tuple[Change, ...]

    @property
    def label(self) -> str:
        return self.key.removeprefix("resources.")

    @property
    def resource_type(self) -> str:
        return self.label.split(".", 1)[0]

    @property
    def is_child(self) -> bool:
        return self.label.rsplit(".", 1)[-1] in ("permissions", "grants") and self.label.count(".") >= 2

    @property
    def loss(self) -> str | None:
        """What deploying this entry loses, or None when it loses nothing that holds data or
        history. A delete the CLI found already gone only cleans up the state."""
        if self.action not in DESTRUCTIVE_ACTIONS or self.gone or self.is_child:
            return None
        return LOSSES.get(self.resource_type)


@dataclass(frozen=True)
class Plan:
    engine: str
    """`direct`, or `terraform` for a plan made on a state the Terraform engine still holds."""
    cli_version: str
    lineage: str
    serial: int
    entries: tuple[Entry, ...]

    def count(self) -> dict[str, int]:
        """Actions by category, as the CLI counts them (deployplan.Plan.CountActions): a recreate
        is a delete and a create."""
        counts = {"create": 0, "change": 0, "delete": 0, "unchanged": 0}
        for entry in self.entries:
            if entry.action in ("create", "recreate"):
                counts["create"] += 1
            if entry.action in ("delete", "recreate"):
                counts["delete"] += 1
            if entry.action in ("update", "update_id", "resize"):
                counts["change"] += 1
            if entry.action in ("skip", ""):
                counts["unchanged"] += 1
        return counts


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PlanError(message)


def _change(field: str, spec: Mapping[str, Any]) -> Change:
    _require(isinstance(spec, Mapping), f"changes.{field} is not an object")
    before = [spec[key] for key in ("old", "remote") if key in spec][:1]
    after = [spec["new"]] if "new" in spec else []
    values = tuple(before + after) if before and after else ()
    return Change(field, str(spec.get("action", "")), str(spec.get("reason", "")), values)


def parse(document: Any) -> Plan:
    """A plan from the JSON the CLI writes; anything else is a PlanError that says what."""
    _require(isinstance(document, Mapping), "not a plan: the file holds no JSON object")
    _require(isinstance(document.get("plan", {}), Mapping), "not a plan: `plan` is not an object")
    version = document.get("plan_version")
    _require(
        version in (None, PLAN_VERSION),
        f"plan_version {version!r}: this reads version {PLAN_VERSION} plans (Databricks CLI "
        f"{document.get('cli_version') or 'unknown'} wrote this one; update the project's tooling)",
    )
    entries = []
    for key, spec in sorted(document.get("plan", {}).items()):
        _require(key.startswith("resources.") and isinstance(spec, Mapping), f"not a plan entry: {key!r}")
        changes = {} if spec.get("changes") is None else spec["changes"]
        _require(isinstance(changes, Mapping), f"{key}: `changes` is not an object")
        entries.append(
            Entry(
                key=key,
                action=str(spec.get("action", "")),
                gone=bool(spec.get("gone", False)),
                changes=tuple(_change(field, changes[field]) for field in sorted(changes)),
            )
        )
    return Plan(
        engine="direct" if version == PLAN_VERSION else "terraform",
        cli_version=str(document.get("cli_version", "")),
        lineage=str(document.get("lineage", "")),
        serial=int(document.get("serial", 0)),
        entries=tuple(entries),
    )


def load(path: Path) -> Plan:
    try:
        return parse(json.loads(path.read_text()))
    except OSError as error:
        raise PlanError(f"cannot read {path}: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise PlanError(
            f"{path} is not JSON ({error.msg}, line {error.lineno}): is it the output of "
            "`databricks bundle plan --output json`?"
        ) from error


NOT_MIGRATED = (
    "this plan was made on a deployment state that still uses the Terraform engine (it has no "
    "plan_version), and `databricks bundle deploy --plan` deploys only on the direct engine. Once "
    "for this environment, run CD with `migrate` set (README.md, CI/CD): it adopts the existing "
    "schema and volume and moves the state to the direct engine."
)


@dataclass(frozen=True)
class Review:
    plan: Plan
    allow_destructive: bool
    migrating: bool

    @property
    def destructive(self) -> list[Entry]:
        return [entry for entry in self.plan.entries if entry.loss]

    @property
    def refused(self) -> bool:
        return bool(self.destructive) and not self.allow_destructive

    @property
    def blocked_engine(self) -> bool:
        return self.plan.engine != "direct" and not self.migrating

    @property
    def exit_code(self) -> int:
        return 2 if self.blocked_engine else 1 if self.refused else 0

    def verdict(self) -> dict[str, Any]:
        return {
            "engine": self.plan.engine,
            "destructive": [entry.label for entry in self.destructive],
            "allow_destructive": self.allow_destructive,
            "auto_approve": self.exit_code == 0 and bool(self.destructive),
            "migrating": self.migrating,
        }


def _code(value: Any) -> str:
    """A value as a Markdown code span that cannot break a table row."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(text) > VALUE_WIDTH:
        text = text[: VALUE_WIDTH - 1] + "…"
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _difference(before: Any, after: Any) -> str:
    """Old → new; for two lists, what the new one adds and drops, which a long list hides."""
    if isinstance(before, list) and isinstance(after, list):
        added = [item for item in after if item not in before]
        dropped = [item for item in before if item not in after]
        if added or dropped:
            parts = [f"adds {', '.join(map(_code, added))}" if added else ""]
            parts += [f"drops {', '.join(map(_code, dropped))}" if dropped else ""]
            return "; ".join(part for part in parts if part)
    return f"{_code(before)} → {_code(after)}"


def _describe(change: Change) -> str:
    text = f"`{change.field}`"
    if change.values:
        text += f": {_difference(*change.values)}"
    why = REASONS.get(change.reason, change.reason)
    if change.action in DESTRUCTIVE_ACTIONS:
        why = f"{why}: {change.action}" if why else change.action
    return f"{text} ({why})" if why else text


def _what_changes(entry: Entry, engine: str) -> str:
    shown = [_describe(change) for change in entry.changes if change.action not in ("skip", "")]
    if shown:
        return "; ".join(shown)
    if entry.action == "create":
        return "new"
    if entry.action == "delete":
        return "already gone: only the state forgets it" if entry.gone else "no longer in the bundle"
    return "" if engine == "direct" else "(the Terraform engine gives actions only)"


def summary(review: Review, target: str = "") -> str:
    plan = review.plan
    lines = [f"## Deployment plan{f' for `{target}`' if target else ''}", ""]
    if review.blocked_engine:
        lines += [f"**Cannot be deployed as a saved plan**: {NOT_MIGRATED}", ""]
    elif review.migrating:
        engine_note = (
            "the state still uses the Terraform engine, whose plan below gives actions only"
            if plan.engine != "direct"
            else "the state already uses the direct engine"
        )
        lines += [
            f"**Migration run** (`--migrating`, set on purpose): {engine_note}. This run adopts the "
            "existing schema and volume into the bundle, moves the state to the direct engine "
            "where needed, and deploys the commit this plan was made from.",
            "",
        ]
    if review.destructive and review.allow_destructive:
        lines += [
            "**Destructive changes allowed** with `--allow-destructive`, set on purpose for this run: "
            "the resources under *What is lost* lose it when this plan is deployed.",
            "",
        ]
    elif review.destructive:
        lines += [
            "**Refused**: this plan deletes or recreates what holds data or history (below). To deploy "
            "it anyway, run again with allow-destructive set on purpose; to keep it, change the bundle.",
            "",
        ]
    elif not review.blocked_engine:
        lines += ["**Nothing that holds data or history is deleted or recreated.**", ""]

    counts = plan.count()
    lines.append(
        f"{counts['create']} to create, {counts['change']} to change, {counts['delete']} to delete, "
        f"{counts['unchanged']} unchanged (a recreate counts as a delete and a create)."
    )
    made = f"Planned by Databricks CLI {plan.cli_version or '(unknown)'}, {plan.engine} engine"
    if plan.lineage:
        made += f", on state serial {plan.serial} (lineage `{plan.lineage}`)."
    else:
        made += ", with no state yet."
    lines += [made, ""]

    changed = [entry for entry in plan.entries if entry.action not in ("skip", "")]
    if changed:
        lines += ["| resource | action | what changes, and why |", "| --- | --- | --- |"]
        for entry in changed:
            action = f"**{entry.action}**" if entry.loss else entry.action
            lines.append(f"| `{entry.label}` | {action} | {_what_changes(entry, plan.engine)} |")
        lines.append("")
    if review.destructive:
        lines += ["### What is lost", ""]
        lines += [f"- `{entry.label}` ({entry.action}): {entry.loss}." for entry in review.destructive]
        lines.append("")
    unchanged = [entry.label for entry in plan.entries if entry.action in ("skip", "")]
    if unchanged:
        lines += [
            f"<details><summary>{len(unchanged)} unchanged</summary>",
            "",
            ", ".join(f"`{label}`" for label in unchanged),
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="plan-review", description=__doc__.splitlines()[0])
    root.add_argument(
        "plan", type=Path, metavar="PLAN_JSON", help="the output of `databricks bundle plan -o json`"
    )
    root.add_argument(
        "--allow-destructive",
        action="store_true",
        help="pass a plan that deletes or recreates what holds data or history (set on purpose)",
    )
    root.add_argument(
        "--migrating",
        action="store_true",
        help="the run that moves a Terraform-engine state to the direct engine (once per environment)",
    )
    root.add_argument("--target", default="", help="the bundle target, for the summary's heading")
    root.add_argument("--verdict", type=Path, help="write the verdict the deploy job reads, as JSON")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        review = Review(load(args.plan), args.allow_destructive, args.migrating)
    except PlanError as error:
        print(f"plan-review: {error}", file=sys.stderr)
        return 2
    print(summary(review, args.target))
    if args.verdict:
        args.verdict.write_text(json.dumps(review.verdict(), indent=2) + "\n")
    if review.blocked_engine:
        print(f"plan-review: {NOT_MIGRATED}", file=sys.stderr)
    for entry in review.destructive:
        verdict = "allowed" if review.allow_destructive else "refused"
        print(f"plan-review: {verdict}: {entry.label} ({entry.action}) loses {entry.loss}", file=sys.stderr)
    return review.exit_code


if __name__ == "__main__":
    sys.exit(main())
