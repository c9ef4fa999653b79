"""Render tier: for every answer set, the right files, no leftover Jinja, the same bytes on a
second render, YAML that parses, and a bundle that follows the answers."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .conftest import TEMPLATE, is_change_feed, is_snapshot, load_answers, questions, render, source_of, tree

# A Jinja expression, statement or comment; Python's `}}` in dict literals is not one, nor are
# Azure Pipelines' and GitHub Actions' own `${{ ... }}` expressions.
JINJA_LEFTOVER = re.compile(r"(?<!\$)\{\{-?\s*[A-Za-z_][^{}]*\}\}|\{%|%\}|\{#")


TOOLS = TEMPLATE / "tools/src"


def expected_files(answers: dict) -> set[str]:
    package = f"src/{answers['project_slug']}"
    files = {
        ".copier-answers.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        ".yamllint.yaml",
        "AGENTS.md",
        "README.md",
        "databricks.yml",
        "pyproject.toml",
        "resources/schema.yml",
        f"{package}/__init__.py",
        f"{package}/auto_cdc.py",
        f"{package}/expectations.py",
        f"{package}/landing.py",
        f"{package}/pipelines.py",
        "tests/__init__.py",
        "tests/backend.py",
        "tests/conftest.py",
        "tests/unit/__init__.py",
        "tests/unit/test_expectations.py",
        "tests/pipelines/__init__.py",
        "tests/pipelines/expected.py",
        "tests/pipelines/test_graph.py",
        "tests/pipelines/test_local_run.py",
        "tools/pyproject.toml",
        # The tooling, as the package at the top of this repository has it (tests/test_tools.py).
        *(
            f"tools/src/{path.relative_to(TOOLS).as_posix()}"
            for path in TOOLS.rglob("*.py")
            if path.name != "integration_tests.py"
        ),
    }
    if answers["integration_tests"]:
        files |= {
            "resources/integration_tests.job.yml",
            "tests/integration/__init__.py",
            "tests/integration/tasks.py",
            "tests/integration/test_tasks.py",
            "tools/src/lakeflow_tools/integration_tests.py",
            *(f"resources/{name}.integration_test.job.yml" for name in answers["pipelines"]),
        }
    shared = len(answers["environments"]) > 1
    if "azure_devops" in answers["ci"]:
        files |= {
            ".azuredevops/pipelines/ci.yml",
            *(f".azuredevops/pipelines/templates/{name}.yml" for name in ("setup-python", "setup-databricks-cli")),
            ".azuredevops/pipelines/templates/databricks-step.yml",
            *(
                f".azuredevops/pipelines/templates/{name}.yml"
                for name in ("setup-terraform", "terraform-steps")
                if answers.get("terraform")
            ),
            *([".azuredevops/pipelines/cd.yml"] if shared or answers.get("terraform") else []),
            *(f".azuredevops/pipelines/templates/{name}-steps.yml" for name in ("plan", "deploy") if shared),
        }
    if "github_actions" in answers["ci"]:
        files |= {
            ".github/workflows/ci.yml",
            *([".github/workflows/cd.yml"] if shared or answers.get("terraform") else []),
            ".github/actions/setup-project/action.yml",
            ".github/actions/setup-databricks/action.yml",
            *([".github/actions/deploy-plan/action.yml"] if shared else []),
        }
    if answers.get("terraform"):
        modules = ("catalog", "deployer", "grants")
        files |= {
            *(
                f"terraform/{name}.tf"
                for name in ("versions", "backend", "providers", "variables", "main", "outputs", "removed")
            ),
            *(f"terraform/modules/{module}/{name}.tf" for module in modules for name in ("main", "versions")),
            *(f"terraform/environments/{env}.tfvars" for env in answers["environments"]),
        }
    sql = answers.get("pipeline_language") == "sql"
    for name in answers["pipelines"]:
        transformations = f"{package}/{name}/transformations"
        source = source_of(answers, name)
        files |= {f"resources/{name}.pipeline.yml", f"{package}/{name}/__init__.py"}
        if is_change_feed(answers, name):  # a change feed arrives in two deliveries, the second one late
            files |= {f"tests/data/{name}/landing/{name}-changes-000{n}.json" for n in (1, 2)}
            files.add("tests/unit/test_auto_cdc.py")
        elif is_snapshot(answers, name):  # three full snapshots, versions 1 to 3
            files |= {f"tests/data/{name}/landing/{name}-snapshot-000{n}.json" for n in (1, 2, 3)}
            files.add("tests/unit/test_auto_cdc.py")
        else:
            files.add(f"tests/data/{name}/landing/{name}-0001.{source}")
        if sql:
            files |= {f"{transformations}/{name}_landing.py", f"tests/unit/test_{name}_sql.py"}
        else:
            files |= {f"{package}/{name}/logic.py", f"tests/unit/test_{name}_logic.py"}
        files |= {f"{transformations}/{layer}" for layer in layers(answers, name)}
    return files


def layers(answers: dict, pipeline: str) -> list[str]:
    """A pipeline's dataset files: a change feed has its typed changes between bronze and silver."""
    names = ["bronze", "silver", "gold"] + (["changes"] if is_change_feed(answers, pipeline) else [])
    suffix = "sql" if answers.get("pipeline_language") == "sql" else "py"
    # AUTO CDC FROM SNAPSHOT has no SQL form: a snapshot pipeline's silver is Python in SQL too.
    python = {"silver"} if is_snapshot(answers, pipeline) else set()
    return [f"{pipeline}_{name}.{'py' if name in python else suffix}" for name in names]


def test_file_set_follows_the_answers(project, answers):
    assert set(tree(project)) == expected_files(answers)


def test_no_jinja_left(project):
    leftovers = {name for name, content in tree(project).items() if JINJA_LEFTOVER.search(content)}

    assert leftovers == set()


def test_second_render_is_byte_identical(project, answer_set, tmp_path):
    again = render(tmp_path / "again", load_answers(answer_set))

    assert tree(project) == tree(again)  # a dirty working tree gets a new synthetic _commit each render


def test_every_yaml_parses(project):
    for path in [*project.rglob("*.yml"), *project.rglob("*.yaml")]:
        assert yaml.safe_load(path.read_text()) is not None, path


def test_answers_file_records_every_answer(project, answers):
    not_asked = (set() if "azure_devops" in answers["ci"] else {"ado_auth"}) | (
        set() if answers["ci"] else {"ci_unit_tests"}
    )

    assert set(questions()) - not_asked <= set(answers)


def bundle(project: Path) -> dict:
    return yaml.safe_load((project / "databricks.yml").read_text())


def test_one_target_per_environment_in_order(project, answers):
    targets = bundle(project)["targets"]

    assert list(targets) == answers["environments"] + (["ci"] if answers["integration_tests"] else [])


def test_development_target_is_personal(project, answers):
    dev = bundle(project)["targets"][answers["environments"][0]]

    assert dev["mode"] == "development"
    assert dev["default"] is True
    # The CLI names the schema per person in development mode (tests/test_target_modes.py).
    assert "schema" not in dev["variables"]
    assert "protect_data" not in dev["variables"]
    assert "run_as" not in dev


def test_shared_targets_are_production_run_as_a_principal(project, answers):
    targets = bundle(project)["targets"]

    for env in answers["environments"][1:]:
        target = targets[env]
        assert target["mode"] == "production", env
        assert target["workspace"]["root_path"].startswith("/Workspace/"), env
        assert target["run_as"] == {"service_principal_name": "${var.service_principal}"}, env
        assert {"service_principal_name": "${var.service_principal}", "level": "CAN_MANAGE"} in target["permissions"]
        assert target["variables"].get("service_principal") == (answers["service_principals"][env] or None)
        assert target["variables"]["protect_data"] is True, env


def test_the_bundle_declares_the_schema_and_its_landing_volume(project, answers):
    """Every target deploys the schema the pipelines publish to and the volume they read from."""
    slug = answers["project_slug"]
    resources = yaml.safe_load((project / "resources/schema.yml").read_text())["resources"]
    protected = {"prevent_destroy": "${var.protect_data}"}

    assert resources["schemas"] == {
        slug: {
            "catalog_name": "${var.catalog}",
            "name": "${var.schema}",
            "comment": f"Tables of the {slug} pipelines, deployed by its bundle.",
            "lifecycle": protected,
        }
    }
    volume = resources["volumes"]["landing"]
    assert volume["schema_name"] == f"${{resources.schemas.{slug}.name}}"
    assert (volume["catalog_name"], volume["name"], volume["volume_type"]) == ("${var.catalog}", "landing", "MANAGED")
    assert volume["lifecycle"] == protected
    assert bundle(project)["variables"]["schema"]["default"] == slug
    assert bundle(project)["variables"]["protect_data"]["default"] is False


def test_targets_use_the_answered_hosts_and_catalogs(project, answers):
    targets = bundle(project)["targets"]

    for env in answers["environments"]:
        target = targets[env]
        host = target["workspace"]["host"]
        if answers["workspace_hosts"][env]:
            assert host == answers["workspace_hosts"][env]
        else:
            assert re.fullmatch(r"https://[a-z0-9-]+\.invalid", host), host
            assert env.replace("_", "-") in host
        assert target["variables"]["catalog"] == answers["catalogs"][env]


def test_only_unset_principals_leave_a_variable_without_value(project, answers):
    """A variable without a value fails `bundle validate` for that target: only where intended."""
    config = bundle(project)
    declared = config["variables"]
    for env, target in config["targets"].items():
        values = {name for name, spec in declared.items() if "default" in spec} | set(target.get("variables", {}))
        unset = set(declared) - values
        expected = (
            {"service_principal"}
            if env in answers["service_principals"] and not answers["service_principals"][env]
            else set()
        )
        assert unset == expected, env


def test_every_referenced_variable_is_declared(project):
    declared = set(bundle(project)["variables"])
    text = "\n".join(path.read_text() for path in [project / "databricks.yml", *project.glob("resources/*.yml")])

    assert set(re.findall(r"\$\{var\.([a-z_]+)\}", text)) <= declared


def test_pipeline_resources_follow_the_answers(project, answers):
    for name in answers["pipelines"]:
        pipeline = yaml.safe_load((project / f"resources/{name}.pipeline.yml").read_text())["resources"]["pipelines"][
            name
        ]
        slug = answers["project_slug"]
        assert pipeline["catalog"] == "${var.catalog}"
        assert pipeline["schema"] == f"${{resources.schemas.{slug}.name}}"
        assert pipeline["configuration"][f"{slug}.landing_path"] == f"${{resources.volumes.landing.volume_path}}/{name}"
        assert pipeline["lifecycle"] == {"prevent_destroy": "${var.protect_data}"}
        assert pipeline["serverless"] is (answers["compute"] == "serverless")
        if answers["compute"] == "classic":
            assert pipeline["edition"] == "ADVANCED"
            assert pipeline["clusters"][0]["node_type_id"]
        source = project / "resources" / pipeline["libraries"][0]["glob"]["include"].removesuffix("/**")
        expected = layers(answers, name) + ([f"{name}_landing.py"] if answers.get("pipeline_language") == "sql" else [])
        assert sorted(p.name for p in source.iterdir()) == sorted(expected)
        assert (project / "resources" / pipeline["root_path"]).is_dir()


def test_ci_target_is_an_isolated_copy_per_run(project, answers):
    targets = bundle(project)["targets"]
    if not answers["integration_tests"]:
        assert "ci" not in targets
        return
    ci, environments = targets["ci"], answers["environments"]
    home = environments[1] if len(environments) > 1 else environments[0]

    # No mode (development mode would want the deployer's name in the prefix): the presets a
    # test copy needs, set explicitly.
    assert "mode" not in ci
    assert ci["presets"]["pipelines_development"] is True
    assert ci["presets"]["trigger_pause_status"] == "PAUSED"
    assert "${var.test_run_id}" in ci["presets"]["name_prefix"]
    assert "${var.test_run_id}" in ci["workspace"]["root_path"]
    assert "schema" not in ci["variables"]  # the name prefix names the copy's schema too
    assert ci["variables"]["catalog"] == answers["catalogs"][home]
    assert ci["workspace"]["host"] == targets[home]["workspace"]["host"]


def test_runner_job_runs_each_pipeline_test_job_once(project, answers):
    if not answers["integration_tests"]:
        assert not list(project.glob("resources/*.job.yml"))
        return
    runner = yaml.safe_load((project / "resources/integration_tests.job.yml").read_text())
    tasks = runner["resources"]["jobs"]["integration_tests"]["tasks"]
    referenced = [task["run_job_task"]["job_id"] for task in tasks]

    assert sorted(referenced) == sorted(
        f"${{resources.jobs.{name}_integration_test.id}}" for name in answers["pipelines"]
    )
    assert all("depends_on" not in task for task in tasks)  # independent: they run in parallel
    for name in answers["pipelines"]:
        job = yaml.safe_load((project / f"resources/{name}.integration_test.job.yml").read_text())
        steps = job["resources"]["jobs"][f"{name}_integration_test"]["tasks"]
        assert [task["task_key"] for task in steps] == ["setup", "run_pipeline", "validate"]
        assert steps[1]["pipeline_task"] == {"pipeline_id": f"${{resources.pipelines.{name}.id}}", "full_refresh": True}
        for step in (steps[0], steps[2]):
            script = project / "resources" / step["spark_python_task"]["python_file"]
            assert script.is_file(), script


def test_python_and_sql_variants_are_checked_against_the_same_rows(rendered):
    """The same pipelines in Python and in SQL (every kind of source) hold the same sample data and
    the same expected rows (tests/pipelines/expected.py), against which each one's local runs check
    every gold table and AUTO CDC target (test_project.py): so the two languages give the same."""
    python, sql = tree(rendered("multi_pipeline")), tree(rendered("sql_pipelines"))
    shared = sorted(name for name in python if name.startswith(("tests/data/", "tests/pipelines/expected.py")))

    assert len(shared) >= 1 + 6  # expected.py and a landing file for each of the six pipelines
    assert [name for name in shared if sql.get(name) != python[name]] == []
