"""Lint tier: every target of every rendered bundle passes the Databricks CLI's own rules for its
mode, run_as, permissions and resource lifecycles (replayed in target_modes.py), deployed by
whoever deploys it: a developer for the personal target, CI's principal for `ci`, each
environment's principal for the shared ones; its schema and volume get the names the CLI gives
them there, and the pipelines publish and read where those are. One negative case per rule shows
the replay can fail."""

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


def schema_of(selected: dict) -> dict:
    [schema] = selected["resources"]["schemas"].values()
    return schema


def test_personal_and_ci_copies_do_not_collide(project, answers):
    """Two developers get two schemas; two CI builds get two prefixes, paths and schemas."""
    config = tm.load_bundle(project)
    dev, slug = answers["environments"][0], answers["project_slug"]
    mine, theirs = (tm.select_target(config, dev, who) for who in (DEVELOPER, OTHER_DEVELOPER))

    assert schema_of(mine)["name"] == f"dev_jane_doe_{slug}"
    assert schema_of(theirs)["name"] == f"dev_raj_patel_{slug}"
    if answers["integration_tests"]:
        first, second = (tm.select_target(config, "ci", CI_PRINCIPAL, {"test_run_id": run}) for run in ("1", "2"))
        for field in (("presets", "name_prefix"), ("workspace", "root_path")):
            assert first[field[0]][field[1]] != second[field[0]][field[1]], field
        assert (schema_of(first)["name"], schema_of(second)["name"]) == (f"ci_1_{slug}", f"ci_2_{slug}")


def test_pipelines_publish_to_the_schema_and_read_the_volume_the_bundle_declares(project, answers):
    """Whatever the target, each pipeline's schema is the bundle's schema as the CLI names it
    there, and its landing folder is in the bundle's volume."""
    config = tm.load_bundle(project)
    for target in config["targets"]:
        identity, variables = deployer(answers, target)
        selected = tm.select_target(config, target, identity, variables)
        schema, volume = schema_of(selected), selected["resources"]["volumes"]["landing"]
        shared = target in answers["environments"][1:]

        assert volume["volume_path"] == f"/Volumes/{schema['catalog_name']}/{schema['name']}/landing", target
        assert (schema["name"] == answers["project_slug"]) is shared, target
        for name, pipeline in selected["resources"]["pipelines"].items():
            assert (pipeline["catalog"], pipeline["schema"]) == (schema["catalog_name"], schema["name"]), target
            landing = pipeline["configuration"][f"{answers['project_slug']}.landing_path"]
            assert landing == f"{volume['volume_path']}/{name}", target


def test_shared_targets_refuse_to_destroy_what_holds_data(project, answers):
    """A plan that deletes or recreates the schema, the volume or a pipeline is refused by the CLI
    in a shared target (lifecycle.prevent_destroy), deployed in the personal and ci targets."""
    config = tm.load_bundle(project)
    keys = [f"resources.schemas.{answers['project_slug']}", "resources.volumes.landing"]
    keys += [f"resources.pipelines.{name}" for name in answers["pipelines"]]
    destructive = {key: ("recreate", "delete")[index % 2] for index, key in enumerate(keys)}

    for target in config["targets"]:
        identity, variables = deployer(answers, target)
        refused = tm.prevent_destroy_refusals(tm.select_target(config, target, identity, variables), destructive)
        assert len(refused) == (len(keys) if target in answers["environments"][1:] else 0), target


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


@pytest.mark.parametrize(
    ("prefix", "normalized"),
    [
        ("[dev jane_doe] ", "dev_jane_doe_"),
        ("[ci 4711] ", "ci_4711_"),
        ("[Dev Jane.Doe] ", "dev_jane_doe_"),
        ("team-", "team"),
        ("", ""),
    ],
)
def test_schema_prefixes_are_normalized_like_the_cli(prefix, normalized):
    assert tm.normalize_prefix(prefix) == normalized


SCHEMA = {"catalog_name": "main", "name": "demo", "lifecycle": {"prevent_destroy": True}}


def with_schema(**lifecycle):
    def change(config):
        config["resources"]["schemas"] = {"demo": {**SCHEMA, "lifecycle": lifecycle or SCHEMA["lifecycle"]}}

    return change


def test_development_mode_prefixes_schema_names_unless_told_not_to():
    def skip(config):
        with_schema()(config)
        config["experimental"] = {"skip_name_prefix_for_schema": True}

    assert named("dev", DEVELOPER, with_schema()) == "dev_jane_doe_demo"
    assert named("prod", CI_PRINCIPAL, with_schema()) == "demo"
    assert named("dev", DEVELOPER, skip) == "demo"


def named(target: str, identity: tm.Identity, change) -> str:
    config = copy.deepcopy(BUNDLE)
    change(config)
    return tm.select_target(config, target, identity)["resources"]["schemas"]["demo"]["name"]


def test_prevent_destroy_refuses_recreates_and_deletes_of_what_is_still_configured():
    config = copy.deepcopy(BUNDLE)
    with_schema()(config)
    selected = tm.select_target(config, "prod", CI_PRINCIPAL)

    assert tm.prevent_destroy_refusals(selected, {"resources.schemas.demo": "recreate"}) == [
        (
            "resources.schemas.demo has lifecycle.prevent_destroy set, but the plan calls for this resource to be "
            "recreated or destroyed. To avoid this error, disable lifecycle.prevent_destroy for resources.schemas.demo"
        )
    ]
    assert len(tm.prevent_destroy_refusals(selected, {"resources.schemas.demo": "delete"})) == 1
    assert tm.prevent_destroy_refusals(selected, {"resources.schemas.demo": "update"}) == []
    # Removed from the configuration, a resource has no lifecycle left: its delete goes through.
    assert tm.prevent_destroy_refusals(selected, {"resources.schemas.gone": "delete"}) == []


def test_prevent_destroy_follows_a_boolean_variable():
    def by_variable(config):
        with_schema(prevent_destroy="${var.protect}")(config)
        config["variables"]["protect"] = {"default": False}
        config["targets"]["prod"]["variables"]["protect"] = True

    config = copy.deepcopy(BUNDLE)
    by_variable(config)

    assert tm.select_target(config, "prod", CI_PRINCIPAL)["resources"]["schemas"]["demo"]["lifecycle"] == {
        "prevent_destroy": True
    }
    assert tm.select_target(config, "dev", DEVELOPER)["resources"]["schemas"]["demo"]["lifecycle"] == {
        "prevent_destroy": False
    }


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            with_schema(prevent_destroy="yes"),
            "internal error: prevent_destroy is not a boolean for resources.schemas.demo",
            id="lifecycle: prevent_destroy not a boolean",
        ),
        pytest.param(
            lambda config: config["resources"]["pipelines"]["orders"].update(lifecycle={"started": True}),
            "lifecycle.started is only supported in direct deployment mode",
            id="lifecycle: started without the direct engine",
        ),
    ],
)
def test_each_lifecycle_rule_reports_its_violation(change, expected):
    found = report("prod", CI_PRINCIPAL, change)

    assert found == [expected]


def test_the_direct_engine_accepts_lifecycle_started():
    def direct(config):
        config["bundle"]["engine"] = "direct"
        config["resources"]["pipelines"]["orders"]["lifecycle"] = {"started": True}

    assert report("prod", CI_PRINCIPAL, direct) == []
