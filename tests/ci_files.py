"""Reading a rendered project's CI/CD files the way Azure DevOps and GitHub Actions would: Azure
templates expanded with their parameters, every job with its variable groups, environment and
steps, every shell script, and the names the README tells users to create."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ADO = ".azuredevops/pipelines"
GITHUB = ".github"
# A template expression (`${{ parameters.target }}`), which Azure DevOps expands before running.
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class Job:
    file: str
    name: str
    steps: list[dict]
    groups: list[str] = field(default_factory=list)
    environment: str | None = None
    depends_on: list[str] = field(default_factory=list)
    on_pull_request: bool = False
    """Whether a pull request's build runs this job (and so whatever YAML the PR's author wrote)."""


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _substitute(value, parameters: dict):
    """Expand `${{ parameters.x }}` in every string of a template, as Azure DevOps does at compile time."""
    if isinstance(value, str):
        whole = EXPRESSION.fullmatch(value)
        if whole and whole.group(1).startswith("parameters."):
            return parameters[whole.group(1).removeprefix("parameters.")]

        def one(match: re.Match) -> str:
            expression = match.group(1)
            return (
                str(parameters[expression.removeprefix("parameters.")])
                if expression.startswith("parameters.")
                else match.group(0)
            )

        return EXPRESSION.sub(one, value)
    if isinstance(value, list):
        return [_substitute(item, parameters) for item in value]
    if isinstance(value, dict):
        return {_substitute(key, parameters): _substitute(item, parameters) for key, item in value.items()}
    return value


def template_parameters(path: Path, given: dict) -> dict:
    """The parameters a template runs with: the given ones over the declared defaults. A missing
    required parameter or an undeclared one is an error, as in Azure DevOps."""
    declared = {spec["name"]: spec for spec in load(path).get("parameters", [])}
    unknown = set(given) - set(declared)
    missing = {name for name, spec in declared.items() if "default" not in spec} - set(given)
    assert not unknown, f"{path.name}: unknown parameters {sorted(unknown)}"
    assert not missing, f"{path.name}: missing parameters {sorted(missing)}"
    return {name: given.get(name, spec.get("default")) for name, spec in declared.items()}


def expand_steps(steps: list[dict], directory: Path) -> list[dict]:
    """Steps with every `- template:` replaced by the template's own (expanded) steps."""
    expanded = []
    for step in steps:
        if "template" not in step:
            expanded.append(step)
            continue
        path = directory / step["template"]
        assert path.is_file(), f"template {step['template']} (from {directory}) does not exist"
        parameters = template_parameters(path, step.get("parameters", {}))
        body = _substitute(load(path), parameters)
        expanded.extend(expand_steps(body["steps"], path.parent))
    return expanded


def ado_jobs(project: Path) -> list[Job]:
    """Every job of the Azure DevOps pipelines, its steps expanded."""
    jobs = []
    for path in sorted((project / ADO).glob("*.yml")):
        pipeline = load(path)
        # Without `pr: none`, pull requests trigger the pipeline (all branches, for GitHub repos).
        on_pull_request = pipeline.get("pr", "all") != "none"
        for stage in pipeline["stages"]:
            for job in stage["jobs"]:
                steps = job["steps"] if "job" in job else job["strategy"]["runOnce"]["deploy"]["steps"]
                jobs.append(
                    Job(
                        file=path.name,
                        name=f"{stage['stage']}.{job.get('job') or job.get('deployment')}",
                        steps=expand_steps(steps, path.parent),
                        groups=[v["group"] for v in job.get("variables", []) if "group" in v],
                        environment=job.get("environment"),
                        depends_on=list(stage.get("dependsOn") or []),
                        on_pull_request=on_pull_request,
                    )
                )
    return jobs


def action_steps(action: Path, given: dict) -> list[dict]:
    """A local composite action's steps with `${{ inputs.x }}` expanded, as GitHub runs them for a
    step that gives `with: given` (an input it leaves out takes its default; one the action does not
    declare is ignored, as GitHub does, with a warning)."""
    spec = load(action)
    inputs = {name: str(given.get(name, decl.get("default", ""))) for name, decl in (spec.get("inputs") or {}).items()}

    def expand(value):
        if isinstance(value, str):
            return EXPRESSION.sub(
                lambda m: inputs[m.group(1)[7:]] if m.group(1).startswith("inputs.") else m.group(0), value
            )
        if isinstance(value, list):
            return [expand(item) for item in value]
        if isinstance(value, dict):
            return {key: expand(item) for key, item in value.items()}
        return value

    return expand(spec["runs"]["steps"])


def github_jobs(project: Path) -> list[Job]:
    """Every job of the GitHub workflows; local composite actions' steps are listed after the job's,
    their inputs expanded."""
    jobs = []
    for path in sorted((project / GITHUB / "workflows").glob("*.yml")):
        workflow = load(path)
        events = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
        events = [events] if isinstance(events, str) else list(events or [])
        on_pull_request = bool({"pull_request", "pull_request_target"} & set(events))
        for name, job in workflow["jobs"].items():
            steps = []
            for step in job["steps"]:
                steps.append(step)
                if step.get("uses", "").startswith("./"):
                    action = project / step["uses"] / "action.yml"
                    assert action.is_file(), f"{path.name}: action {step['uses']} does not exist"
                    steps.extend(action_steps(action, step.get("with") or {}))
            environment = job.get("environment")
            needs = job.get("needs", [])
            jobs.append(
                Job(
                    file=path.name,
                    name=name,
                    steps=steps,
                    environment=environment["name"] if isinstance(environment, dict) else environment,
                    depends_on=[needs] if isinstance(needs, str) else list(needs),
                    on_pull_request=on_pull_request,
                )
            )
    return jobs


SERVICE_CONNECTION_INPUT = re.compile(r"serviceconnection|azuresubscription|connectedservicename", re.IGNORECASE)


def identities(job: Job) -> set[str]:
    """Every identity a job can sign in with: its variable groups and environment, the service
    connections its steps name, and the GitHub variables and secrets it reads."""
    found = {f"group {name}" for name in job.groups}
    if job.environment:
        found.add(f"environment {job.environment}")
    for step in job.steps:
        for key, value in (step.get("inputs") or {}).items():
            if SERVICE_CONNECTION_INPUT.search(key):
                found.add(f"service connection {value}")
        text = yaml.safe_dump(step)
        found |= {f"secret {name}" for name in re.findall(r"\bsecrets\.(\w+)", text)}
        found |= {f"variable {name}" for name in re.findall(r"\bvars\.(\w+)", text)}
    return found


def scripts(jobs: list[Job]) -> list[str]:
    """Every shell script the jobs run (Azure `script:`/`bash:`, GitHub `run:`)."""
    return [step[key] for job in jobs for step in job.steps for key in ("script", "bash", "run") if key in step]


def referenced_variables(project: Path) -> set[str]:
    """Names read from GitHub's `vars` context anywhere in the workflows and actions."""
    text = "\n".join(path.read_text() for path in (project / GITHUB).rglob("*.yml"))
    return set(re.findall(r"\bvars\.([A-Za-z_][A-Za-z0-9_]*)", text))


def readme_table(project: Path, heading: str) -> dict[str, set[str]]:
    """The `| kind | name | ... |` rows under a README heading, as {kind: {names}}."""
    text = (project / "README.md").read_text()
    section = text.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    rows: dict[str, set[str]] = {}
    for kind, name in re.findall(r"^\| ([a-z ]+) \| `([^`]+)` \|", section, flags=re.MULTILINE):
        rows.setdefault(kind, set()).add(name)
    return rows
