"""The project as the bundle describes it: pipelines, their files and configuration."""

import pytest

from lakeflow_tools.project import Pipeline, Project, ProjectError


def test_finds_the_project_from_a_folder_inside_it(project):
    assert Project.find(project.root / "src" / "demo").root == project.root


def test_outside_a_project_it_says_where_it_looked(tmp_path):
    with pytest.raises(ProjectError, match=r"no databricks.yml in .* or above"):
        Project.find(tmp_path)


def test_pipelines_in_the_order_the_project_declares(project):
    pipelines = project.pipelines()

    assert list(pipelines) == ["refunds", "orders"]  # .copier-answers.yml, not the file names
    assert pipelines["orders"].libraries == ("src/demo/orders/transformations/**",)
    assert project.package == "demo"


def test_source_files_follow_the_libraries_globs(project):
    names = [path.name for path in project.source_files(project.pipeline("orders"))]

    assert names == ["orders_bronze.py", "orders_silver.py"]


def test_configuration_resolves_bundle_variables(project):
    resolved = project.pipeline("orders").resolve({"landing_root": "/tmp/landing"})

    assert resolved == {"demo.landing_path": "/tmp/landing/orders", "demo.landing_reader": "autoloader"}
    assert project.local_configuration == {"demo.landing_reader": "files"}


def test_the_landing_volume_is_the_local_landing_folder():
    """Pipelines read ${resources.volumes.landing.volume_path}/<pipeline>: locally, landing_root."""
    pipeline = Pipeline(
        "orders", (), {"demo.landing_path": "${resources.volumes.landing.volume_path}/orders"}
    )

    assert pipeline.resolve({"landing_root": "/tmp/landing"}) == {"demo.landing_path": "/tmp/landing/orders"}
    with pytest.raises(ProjectError, match=r"no local value for \$\{resources.volumes.other.volume_path\}"):
        Pipeline("x", (), {"k": "${resources.volumes.other.volume_path}"}).resolve({"landing_root": "/tmp"})


def test_a_variable_without_a_local_value_is_named(project):
    with pytest.raises(ProjectError, match=r"pipeline refunds: no local value for \$\{var.catalog\}"):
        project.pipeline("refunds").resolve({"landing_root": "/tmp"})


def test_an_unknown_pipeline_lists_the_known_ones_in_declared_order(project):
    with pytest.raises(
        ProjectError, match=r"no pipeline 'order'; the bundle defines \['refunds', 'orders'\]"
    ):
        project.pipeline("order")
