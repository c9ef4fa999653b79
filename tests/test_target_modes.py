"""Lint tier: every target of every rendered bundle passes the Databricks CLI's own rules for its
mode, run_as and permissions (replayed in target_modes.py), deployed by whoever deploys it: a
developer for the personal target, CI's principal for `ci`, each environment's principal for the
shared ones. One negative case per rule shows the replay can fail."""

from __future__ import annotations

import copy

import pytest

from . import target_modes as tm

DEVELOPER = tm.person("jane.doe@example.com")
OTHER_DEVELOPER = tm.person("raj.patel@example.com")
CI_PRINCIPAL = tm.principal("0b9a3c61-2f0e-4d6c-9e57-8f1d2a4b6c70")
UNSET_PRINCIPAL = "5d2c8e14-7a3b-4f90-b1c6-3e9f0a7d2b58"  # what a team sets where the answer was empty


def deployer(answers: dict, target: str) -> tuple[tm.Identity, dict]:
    """Who deploys the target, and the variable values they deploy it with."""
    if target == answers["environments"][0]:
        return DEVELOPER, {}
    if target == "ci":
        return CI_PRINCIPAL, {"test_run_id": "4711"}
    application_id = answers["service_principals"][target] or UNSET_PRINCIPAL
    return tm.principal(application_id), {"service_principal": application_id}


def test_every_target_passes_the_cli_rules(project, answers):
    config = tm.load_bundle(project)

    assert list(config["targets"]) == answers["environments"] + (["ci"] if answers["integration_tests"] else [])
    for target in config["targets"]:
        identity, variables = deployer(answers, target)
        assert tm.diagnostics(tm.select_target(config, target, identity, variables), identity) == [], target


def test_personal_and_ci_copies_do_not_collide(project, answers):
    """Two developers get two schemas; two CI builds get two prefixes, paths and schemas."""
    config = tm.load_bundle(project)
    dev = answers["environments"][0]
    mine, theirs = (tm.select_target(config, dev, who) for who in (DEVELOPER, OTHER_DEVELOPER))

    assert mine["variables"]["schema"] != theirs["variables"]["schema"]
    if answers["integration_tests"]:
        first, second = (tm.select_target(config, "ci", CI_PRINCIPAL, {"test_run_id": run}) for run in ("1", "2"))
        for field in (("presets", "name_prefix"), ("workspace", "root_path"), ("variables", "schema")):
            assert first[field[0]][field[1]] != second[field[0]][field[1]], field


# A small bundle to break one rule at a time.
BUNDLE = {
    "bundle": {"name": "demo"},
    "variables": {"service_principal": {}},
    "resources": {
        "pipelines": {"orders": {"name": "orders"}},
        "jobs": {"nightly": {"name": "nightly"}},
    },
    "targets": {
        "dev": {"mode": "development", "default": True},
        "prod": {
            "mode": "production",
            "workspace": {"root_path": "/Workspace/Users/${workspace.current_user.userName}/.bundle/demo"},
            "variables": {"service_principal": CI_PRINCIPAL.user_name},
            "run_as": {"service_principal_name": "${var.service_principal}"},
            "permissions": [{"service_principal_name": "${var.service_principal}", "level": "CAN_MANAGE"}],
        },
    },
}


def report(target: str, identity: tm.Identity, change=lambda spec: None) -> list[str]:
    config = copy.deepcopy(BUNDLE)
    change(config)
    return tm.diagnostics(tm.select_target(config, target, identity), identity)


def test_the_small_bundle_passes():
    assert report("dev", DEVELOPER) == []
    assert report("prod", CI_PRINCIPAL) == []


def dev(**fields):
    return lambda config: config["targets"]["dev"].update(fields)


def prod(**fields):
    return lambda config: config["targets"]["prod"].update(fields)


@pytest.mark.parametrize(
    ("target", "identity", "change", "expected"),
    [
        pytest.param(
            "dev",
            DEVELOPER,
            dev(presets={"trigger_pause_status": "UNPAUSED"}),
            "cannot set trigger pause status to UNPAUSED",
            id="development: triggers unpaused",
        ),
        pytest.param(
            "dev",
            DEVELOPER,
            dev(workspace={"root_path": "/Workspace/Shared/.bundle/demo"}),
            "root_path must start with '~/' or contain the current username",
            id="development: shared root_path",
        ),
        pytest.param(
            "dev",
            DEVELOPER,
            dev(workspace={"state_path": "/Workspace/Shared/state"}),
            "state_path must start with '~/' or contain the current username",
            id="development: shared state_path",
        ),
        pytest.param(
            "dev",
            CI_PRINCIPAL,
            dev(presets={"name_prefix": "[ci ${var.service_principal}] "}, variables={"service_principal": "42"}),
            "prefix should contain the current username",
            id="development: prefix without the user (the old ci target)",
        ),
        pytest.param(
            "prod",
            CI_PRINCIPAL,
            lambda config: config["resources"]["pipelines"]["orders"].update(development=True),
            "cannot include a pipeline with 'development: true'",
            id="production: development pipeline",
        ),
        pytest.param(
            "prod",
            CI_PRINCIPAL,
            prod(presets={"pipelines_development": True}),
            "cannot include a pipeline with 'development: true'",
            id="production: development pipelines by preset",
        ),
        pytest.param(
            "prod",
            DEVELOPER,
            lambda config: [config["targets"]["prod"].pop(key) for key in ("workspace", "run_as", "permissions")],
            "target with 'mode: production' must set 'workspace.root_path'",
            id="production: no root_path, jobs without run_as",
        ),
        pytest.param(
            "prod",
            CI_PRINCIPAL,
            lambda config: config["targets"]["prod"].pop("workspace"),
            "target with 'mode: production' should set 'workspace.root_path'",
            id="production: no root_path, deployed by a principal",
        ),
        pytest.param(
            "prod",
            CI_PRINCIPAL,
            prod(run_as={"service_principal_name": ""}),
            "run_as section must specify exactly one identity",
            id="run_as: empty",
        ),
        pytest.param(
            "prod",
            CI_PRINCIPAL,
            prod(run_as={"service_principal_name": "${var.service_principal}", "user_name": "a@example.com"}),
            "run_as section cannot specify both",
            id="run_as: two identities",
        ),
        pytest.param(
            "prod",
            CI_PRINCIPAL,
            prod(permissions=[{"group_name": "users", "level": "CAN_MANAGE"}]),
            "permissions section should explicitly include the current deployment identity",
            id="permissions: deployer not a manager",
        ),
        pytest.param("dev", DEVELOPER, dev(mode="staging"), "unsupported value 'staging'", id="mode: unknown"),
    ],
)
def test_each_rule_reports_its_violation(target, identity, change, expected):
    found = report(target, identity, change)

    assert len(found) == 1 and expected in found[0], found


def test_home_folder_paths_count_as_personal():
    assert report("dev", DEVELOPER, dev(workspace={"root_path": "~/.bundle/demo"})) == []


def test_a_variable_without_value_stops_like_the_cli():
    with pytest.raises(tm.UnresolvedVariable, match="service_principal"):
        report("prod", CI_PRINCIPAL, lambda config: config["targets"]["prod"].pop("variables"))
