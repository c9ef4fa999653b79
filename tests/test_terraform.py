"""Lint tier for Terraform (answer `terraform`): every file parses (python-hcl2), variables are
declared where used and used where declared, module calls give each module what it declares,
providers are pinned, each environment's .tfvars sets what the root module needs and follows the
answers, the grants are exactly the design's, what the bundle owns now is forgotten, never
destroyed; and the real `terraform` accepts them: `fmt -check`, and `init -backend=false` offline
against a local mirror that holds a stand-in of the one provider they may ask for."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import hcl2
import pytest
import yaml

from . import ci_files
from .conftest import ANSWER_SETS, TEMPLATE, load_answers

WITH_TERRAFORM = [name for name in ANSWER_SETS if load_answers(name).get("terraform")]
VERSIONS = yaml.safe_load((TEMPLATE / "includes/versions.yml").read_text())

# The design (README.md's Terraform section, docs/decisions/0005): each role's privileges per
# securable, and nothing else anywhere.
ROLES = {
    # A deployer owns the schema and volume its bundle creates: nothing to grant on them.
    "deployer": {"catalog": ["USE_CATALOG"]},
    "reader": {"catalog": ["USE_CATALOG"], "schema": ["USE_SCHEMA"], "table": ["SELECT"]},
    "schema_creator": {"catalog": ["USE_CATALOG", "CREATE_SCHEMA"]},
}
TOO_BROAD = ("ALL_PRIVILEGES", "ALL PRIVILEGES", "MANAGE", "MODIFY", "WRITE_VOLUME", "CREATE_CATALOG")


@pytest.fixture(params=WITH_TERRAFORM)
def terraform(rendered, request) -> Path:
    return rendered(request.param) / "terraform"


def answers_of(terraform: Path) -> dict:
    return yaml.safe_load((terraform.parent / ".copier-answers.yml").read_text())


def parse(path: Path) -> dict:
    return hcl2.loads(path.read_text())


def module_dirs(terraform: Path) -> list[Path]:
    return [terraform, *sorted(p for p in (terraform / "modules").iterdir() if p.is_dir())]


def blocks(directory: Path, kind: str) -> dict[str, dict]:
    """Named blocks of one kind (variable, module, output) across a module's .tf files."""
    found = {}
    for path in sorted(directory.glob("*.tf")):
        for block in parse(path).get(kind, []):
            found.update(block)
    return found


def test_every_file_parses(terraform):
    files = sorted(terraform.rglob("*.tf")) + sorted(terraform.rglob("*.tfvars"))

    assert len(files) >= 12
    for path in files:
        assert parse(path), path


def test_variables_are_declared_where_used_and_used_where_declared(terraform):
    for directory in module_dirs(terraform):
        declared = set(blocks(directory, "variable"))
        used = set(re.findall(r"\bvar\.(\w+)", "".join(p.read_text() for p in directory.glob("*.tf"))))
        assert used == declared, directory.name


def test_module_calls_give_each_module_what_it_declares(terraform):
    calls = blocks(terraform, "module")

    assert set(calls) == {"catalog", "deployer", "grants"}
    for name, call in calls.items():
        variables = blocks(terraform / call["source"], "variable")
        required = {v for v, spec in variables.items() if "default" not in spec}
        given = set(call) - {"source"}
        assert given <= set(variables), f"{name}: undeclared {given - set(variables)}"
        assert required <= given, f"{name}: missing {required - given}"


def test_providers_are_pinned(terraform):
    settings = parse(terraform / "versions.tf")["terraform"][0]
    providers = {name: spec for entry in settings["required_providers"] for name, spec in entry.items()}
    used = set(re.findall(r'(?:resource|data) "(\w+?)_', "".join(p.read_text() for p in terraform.rglob("*.tf"))))
    modules = [parse(path)["terraform"][0] for path in sorted(terraform.glob("modules/*/versions.tf"))]

    assert settings["required_version"].startswith(">=")
    pinned = VERSIONS["databricks_provider_version"]["default"]
    assert providers == {"databricks": {"source": "databricks/databricks", "version": pinned}}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", spec["version"]) for spec in providers.values())
    assert used == set(providers)
    # Modules ask for at least the pinned release; the root module's exact pin decides.
    assert [m["required_providers"][0]["databricks"]["version"] for m in modules] == [f">= {pinned}"] * 3


def tfvars(terraform: Path, env: str) -> dict:
    return parse(terraform / "environments" / f"{env}.tfvars")


def test_each_environment_sets_what_the_root_module_needs(terraform):
    variables = blocks(terraform, "variable")
    required = {name for name, spec in variables.items() if "default" not in spec}
    environments = answers_of(terraform)["environments"]

    assert sorted(p.stem for p in (terraform / "environments").glob("*.tfvars")) == sorted(environments)
    for env in environments:
        values = tfvars(terraform, env)
        assert required <= set(values) <= set(variables), env


def test_names_follow_the_answers(terraform):
    answers = answers_of(terraform)
    slug, first = answers["project_slug"], answers["environments"][0]
    for env in answers["environments"]:
        values = tfvars(terraform, env)
        assert values["environment"] == env
        assert values["catalog_name"] == answers["catalogs"][env]
        # The schema the bundle's shared targets deploy (resources/schema.yml).
        assert values["schema_name"] == slug
        host = answers["workspace_hosts"][env]
        assert values["workspace_host"] == (host or f"https://set-workspace-host-for-{env.replace('_', '-')}.invalid")
        assert values["deployer_application_id"] == answers["service_principals"].get(env, "")
        assert values["deployer_display_name"] == f"{slug}-{'ci' if env == first else env}"
        assert values["deployer_creates_clusters"] is (answers["compute"] == "classic")
        # Shared deployers create their bundle's schema; CI's principal its test copies' schemas.
        tests_here = answers["integration_tests"] and env == ([*answers["environments"][1:], first])[0]
        assert values["deployer_creates_schemas"] is (env != first or tests_here), env
        assert values["gold_tables"] == [f"{pipeline}_gold" for pipeline in answers["pipelines"]]
        assert values["readers_group"] == f"{slug}-readers"
    assert tfvars(terraform, first)["schema_creators"] == [f"{slug}-developers"]
    bundle = yaml.safe_load((terraform.parent / "databricks.yml").read_text())
    assert bundle["variables"]["schema"]["default"] == slug


def test_each_environment_gets_catalog_deployer_and_grants(terraform):
    """The root module wires its three concerns to the environment's values; the schema is the
    bundle's, so grants name it and wait until it is deployed."""
    calls = blocks(terraform, "module")

    assert calls["catalog"]["name"] == "${var.catalog_name}"
    assert calls["deployer"]["application_id"] == "${var.deployer_application_id}"
    assert calls["grants"]["deployer"] == "${module.deployer.application_id}"
    assert calls["grants"]["schema"] == "${module.catalog.name}.${var.schema_name}"
    assert calls["grants"]["deployed"] == "${var.gold_tables_deployed}"
    assert not [kind for kind in ("databricks_schema", "databricks_volume") if kind in text_of(terraform)]


def text_of(terraform: Path) -> str:
    return "".join(path.read_text() for path in sorted(terraform.rglob("*.tf")))


# What Terraform managed up to 0.3 and the bundle owns now (resources/schema.yml): a project
# updated from then forgets them in its next apply, and destroys or revokes none of them.
HANDED_TO_THE_BUNDLE = {
    "module.schema",
    "module.landing_volume",
    "module.grants.databricks_grant.schema",
    "module.grants.databricks_grant.landing_volume",
}


def forgotten(terraform: Path) -> dict[str, bool]:
    """Each `removed` block's address, and whether it lets Terraform destroy the object."""
    found = {}
    for path in sorted(terraform.glob("*.tf")):
        for block in parse(path).get("removed", []):
            found[block["from"].strip("${}")] = block["lifecycle"][0]["destroy"]
    return found


def test_what_the_bundle_owns_now_is_forgotten_not_destroyed(terraform):
    assert forgotten(terraform) == dict.fromkeys(HANDED_TO_THE_BUNDLE, False)
    resources = set(re.findall(r'resource "(\w+)" "(\w+)"', (terraform / "modules/grants/main.tf").read_text()))
    assert not {("databricks_grant", name) for name in ("schema", "landing_volume")} & resources


def test_terraform_forgets_what_0_3_made_without_destroying_it(terraform, tmp_path):
    """The real `terraform plan` over a state of the 0.3 layout (module schema, landing_volume,
    grants on both), then the rendered removed.tf: nothing is destroyed. The stand-in resources are
    Terraform's built-in terraform_data, so this runs offline; only the type name differs."""
    old = {
        "main.tf": "".join(f'module "{name}" {{\n  source = "./modules/{name}"\n}}\n' for name in MODULES_0_3),
        "modules/schema/main.tf": 'resource "terraform_data" "this" {\n  input = "schema"\n}\n',
        "modules/landing_volume/main.tf": 'resource "terraform_data" "this" {\n  input = "volume"\n}\n',
        "modules/grants/main.tf": "".join(
            f'resource "terraform_data" "{name}" {{\n  for_each = toset(["deployer", "readers"])\n  input = each.key\n}}\n'
            for name in ("catalog", "schema", "landing_volume")
        ),
    }
    root = tmp_path / "stand-in"
    for name, text in old.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    env = {"TF_CLI_CONFIG_FILE": os.devnull}
    for step in (("init", "-input=false"), ("apply", "-auto-approve", "-input=false")):
        assert run_terraform(*step, cwd=root, env=env).returncode == 0

    (root / "main.tf").write_text('module "grants" {\n  source = "./modules/grants"\n}\n')
    (root / "modules/grants/main.tf").write_text(
        old["modules/grants/main.tf"].split('resource "terraform_data" "schema"')[0]
    )
    (root / "removed.tf").write_text(
        (terraform / "removed.tf").read_text().replace("databricks_grant", "terraform_data")
    )
    assert run_terraform("init", "-input=false", cwd=root, env=env).returncode == 0
    plan = run_terraform("plan", "-input=false", cwd=root, env=env)

    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "0 to add, 0 to change, 0 to destroy" in plan.stdout
    assert plan.stdout.count("will no longer be managed by Terraform, but will not be destroyed") == 6


MODULES_0_3 = ("schema", "landing_volume", "grants")


def test_the_forgotten_check_sees_a_destroy(terraform, tmp_path):
    copy = shutil.copytree(terraform, tmp_path / "terraform")
    removed = copy / "removed.tf"
    removed.write_text(removed.read_text().replace("destroy = false", "destroy = true", 1))

    assert forgotten(copy)["module.schema"] is True


def grants_module(terraform: Path) -> dict:
    return parse(terraform / "modules/grants/main.tf")


def test_grants_are_exactly_the_design(terraform):
    module = grants_module(terraform)
    roles = {name: module["locals"][0][name] for name in ROLES}
    resources = [r for block in module["resource"] for r in block.items()]

    assert roles == ROLES
    # Only non-authoritative single grants: grants made outside Terraform stay.
    assert {kind for kind, _ in resources} == {"databricks_grant"}
    for _, by_name in resources:
        for name, grant in by_name.items():
            assert re.fullmatch(r"\$\{(each\.value\.privileges|local\.\w+\.\w+)\}", grant["privileges"]), name
    source = (terraform / "modules/grants/main.tf").read_text()
    assert re.findall(r'"[A-Z_]+"', source.split("catalog_grants")[1]) == []  # no literal privilege below the roles


def test_no_grant_is_broader_than_the_design(terraform):
    text = "".join(path.read_text() for path in terraform.rglob("*.tf*"))

    assert [word for word in TOO_BROAD if re.search(rf'"{word}"', text)] == []
    granted = {p for role in ROLES.values() for privileges in role.values() for p in privileges}
    capitals = set(re.findall(r'"([A-Z][A-Z_]+)"', text)) - {"MANAGED"}  # the volume's type
    assert capitals <= granted


def terraform_cli() -> str:
    """The real `terraform` (on PATH here and in CI); its absence fails loudly, never silently."""
    if found := shutil.which("terraform"):
        return found
    pytest.fail("terraform is not on PATH: the Terraform tests run `terraform fmt` and `terraform init`", pytrace=False)


def run_terraform(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [terraform_cli(), *args, "-no-color"],
        cwd=cwd,
        env={**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture(scope="session")
def provider_mirror(tmp_path_factory) -> dict[str, str]:
    """A Terraform CLI configuration that installs providers from a local filesystem mirror only,
    holding a stand-in databricks/databricks package at the pinned version: `terraform init`
    resolves and unpacks providers without running them, so init works offline and any other
    provider source it asks for is reported as not found."""
    root = tmp_path_factory.mktemp("terraform-mirror")
    version = VERSIONS["databricks_provider_version"]["default"]
    package = root / "mirror/registry.terraform.io/databricks/databricks"
    package.mkdir(parents=True)
    with zipfile.ZipFile(package / f"terraform-provider-databricks_{version}_linux_amd64.zip", "w") as archive:
        archive.writestr(f"terraform-provider-databricks_v{version}", "#!/bin/sh\necho stand-in >&2\nexit 1\n")
    config = root / "terraform.rc"
    config.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{root / "mirror"}"\n  }}\n}}\n')
    return {"TF_CLI_CONFIG_FILE": str(config), "TF_PLUGIN_CACHE_DIR": ""}


def init(terraform: Path, tmp_path: Path, mirror: dict[str, str]) -> subprocess.CompletedProcess:
    """`terraform init -backend=false` as CI runs it, on a copy (init writes .terraform/)."""
    copy = shutil.copytree(terraform, tmp_path / "terraform")
    return run_terraform("init", "-backend=false", "-input=false", cwd=copy, env=mirror)


def test_terraform_fmt_check_passes(terraform):
    result = run_terraform("fmt", "-check", "-recursive", "-diff", cwd=terraform)

    assert result.returncode == 0, result.stdout + result.stderr


def test_terraform_fmt_check_catches_misaligned_attributes(terraform, tmp_path):
    copy = shutil.copytree(terraform, tmp_path / "terraform")
    main = copy / "main.tf"
    main.write_text(main.read_text().replace("source       = ", "source = ", 1))

    result = run_terraform("fmt", "-check", "-recursive", cwd=copy)

    assert result.returncode == 3 and "main.tf" in result.stdout, result.stdout + result.stderr


def test_terraform_init_installs_only_the_databricks_provider(terraform, tmp_path, provider_mirror):
    result = init(terraform, tmp_path, provider_mirror)
    output = result.stdout + result.stderr
    version = VERSIONS["databricks_provider_version"]["default"]

    assert result.returncode == 0, output
    assert f"Installed databricks/databricks v{version}" in output
    assert re.findall(r"Finding (?:latest version of )?(\S+?)(?: versions|\.\.\.)", output) == ["databricks/databricks"]


def test_terraform_init_rejects_a_module_without_its_provider_source(terraform, tmp_path, provider_mirror):
    """Not vacuous: a module that does not say where `databricks` comes from makes Terraform look
    for hashicorp/databricks, which does not exist."""
    copy = shutil.copytree(terraform, tmp_path / "source")
    (copy / "modules/grants/versions.tf").unlink()

    result = init(copy, tmp_path, provider_mirror)

    assert result.returncode == 1
    assert "hashicorp/databricks" in result.stdout + result.stderr


def test_every_module_declares_its_provider(terraform):
    for directory in module_dirs(terraform):
        settings = parse(directory / "versions.tf")["terraform"][0]
        providers = {name: spec for entry in settings["required_providers"] for name, spec in entry.items()}
        assert providers["databricks"]["source"] == "databricks/databricks", directory.name


def test_readme_gives_the_order_terraform_then_bundles(terraform):
    readme = (terraform.parent / "README.md").read_text()
    section = readme.split("## Terraform\n", 1)[1].split("\n## ", 1)[0]

    assert section.index("terraform apply -var-file") < section.index("databricks bundle deploy")
    assert "gold_tables_deployed = true" in section
    assert "backend.tf" in section


def test_ci_checks_plans_and_applies_behind_the_environments(terraform):
    """Pull requests check format and validity with no identity; each environment's plan and
    apply run in CD, with its Terraform identity, behind its environment's approvals."""
    project, answers = terraform.parent, answers_of(terraform)
    slug, environments = answers["project_slug"], answers["environments"]
    if "azure_devops" in answers["ci"]:
        jobs = {job.name: job for job in ci_files.ado_jobs(project)}
        checks = jobs["terraform.terraform_checks"]
        assert all(step in "\n".join(ci_files.scripts([checks])) for step in ("terraform fmt -check", "validate"))
        assert checks.groups == [] and checks.on_pull_request
        assert [job.name for job in jobs.values() if job.on_pull_request and "terraform plan" in str(job.steps)] == []
        for env in environments:
            stage = f"terraform_{env}" if env == environments[0] else f"deploy_{env}"
            apply = jobs[f"{stage}.terraform"]
            script = "\n".join(ci_files.scripts([apply]))
            assert script.index(f"-var-file=environments/{env}.tfvars") < script.index("terraform apply")
            assert apply.environment == f"{slug}-{env}" and apply.groups == [f"{slug}-terraform-{env}"]
            assert not apply.on_pull_request
        cd = ci_files.load(project / ci_files.ADO / "cd.yml")
        for stage in cd["stages"][1:]:
            if stage["stage"].startswith("deploy_"):  # apply, then deploy, behind the same approvals
                assert [job.get("dependsOn") for job in stage["jobs"]] == [None, "terraform"]
    if "github_actions" in answers["ci"]:
        jobs = {job.name: job for job in ci_files.github_jobs(project)}
        assert "terraform validate" in "\n".join(ci_files.scripts([jobs["terraform"]]))
        for env in environments:
            assert jobs[f"terraform_{env}"].environment == env
        for env in environments[1:]:  # Terraform applies after the plan's review, before the deploy
            assert jobs[f"terraform_{env}"].depends_on == [f"review_{env}"]
            assert jobs[f"deploy_{env}"].depends_on == [f"review_{env}", f"terraform_{env}"]
