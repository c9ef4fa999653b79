"""The project tooling is one package, tools/ at the top of this repository: every rendered
project gets a copy of its modules, byte for byte, and it pins the releases projects pin."""

from __future__ import annotations

import tomllib

import pytest
import yaml

from .conftest import TEMPLATE, questions

PACKAGE = TEMPLATE / "tools/src/lakeflow_tools"
DERIVED = yaml.safe_load((TEMPLATE / "includes/derived.yml").read_text())
VERSIONS = {
    name: spec["default"] for name, spec in yaml.safe_load((TEMPLATE / "includes/versions.yml").read_text()).items()
}


def test_the_vendored_file_list_names_every_module():
    listed = yaml.safe_load(DERIVED["tools_package"]["default"])  # YAML text, as Copier reads a `yaml` answer
    present = sorted(path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py"))

    assert listed == present, (
        "includes/derived.yml's tools_package must list the package's modules, one a line, in this order:\n"
        + "\n".join(f"    - {name}" for name in present)
    )


def test_every_project_gets_the_package_byte_for_byte(project, answers):
    vendored = project / "tools/src/lakeflow_tools"
    expected = {path.relative_to(PACKAGE) for path in PACKAGE.rglob("*.py")}
    if not answers["integration_tests"]:
        expected.remove(PACKAGE.joinpath("integration_tests.py").relative_to(PACKAGE))

    assert {path.relative_to(vendored) for path in vendored.rglob("*.py")} == expected
    for relative in expected:
        assert (vendored / relative).read_bytes() == (PACKAGE / relative).read_bytes(), relative


def test_the_sources_hold_no_jinja_syntax():
    """The modules are rendered through Jinja's include: nothing in them may look like a tag."""
    assert [p.name for p in PACKAGE.rglob("*.py") if any(m in p.read_text() for m in ("{{", "{%", "{#"))] == []


@pytest.mark.parametrize(
    "requirement",
    [
        "databricks_sdk_requirement",
        "junitparser_requirement",
        "psutil_requirement",
        "pyspark_requirement",
        "pandas_requirement",
    ],
)
def test_the_package_pins_what_projects_pin(requirement):
    settings = tomllib.loads((TEMPLATE / "tools/pyproject.toml").read_text())["project"]
    declared = settings["dependencies"] + settings["optional-dependencies"]["spark"]

    assert VERSIONS[requirement] in declared


def test_python_version_offers_the_pythons_the_pins_support():
    """The question's choices, the projects' requires-python range and their Databricks Connect
    pins come from one list: databricks_connect_requirements' keys."""
    assert sorted(questions()["python_version"]["choices"]) == sorted(VERSIONS["databricks_connect_requirements"])


def test_projects_accept_every_supported_python(project):
    settings = tomllib.loads((project / "pyproject.toml").read_text())

    assert settings["project"]["requires-python"] == ">=3.11,<3.13"
    dbconnect = settings["dependency-groups"]["dbconnect"]
    assert all("; python_version == '" in requirement for requirement in dbconnect)
    assert {requirement.split("'")[1] for requirement in dbconnect} == set(VERSIONS["databricks_connect_requirements"])
