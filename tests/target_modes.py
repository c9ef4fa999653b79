"""The Databricks CLI's rules for a bundle target, replayed: what `databricks bundle validate -t T`
reports for its mode, run_as and permissions, which no schema encodes.

Read from databricks/cli at the commit of the reference schema (CLI v1.13.0):
bundle/config/mutator/resourcemutator/validate_target_mode.go (modes),
bundle/config/mutator/resourcemutator/run_as.go (run_as) and
bundle/permissions/permission_diagnostics.go (permissions). Errors and recommendations are both
returned: a rendered target must give neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REFERENCE = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")
WORKSPACE_PATHS = ("root_path", "file_path", "resource_path", "artifact_path", "state_path")


@dataclass(frozen=True)
class Identity:
    """Who deploys: `workspace.current_user` as the CLI sees it."""

    user_name: str
    short_name: str
    domain_friendly_name: str = ""

    @property
    def is_service_principal(self) -> bool:  # iamutil.IsServicePrincipal: the user name is a UUID
        return bool(UUID.match(self.user_name))


def person(email: str) -> Identity:
    local = email.split("@")[0]
    return Identity(email, re.sub(r"[^a-z0-9]", "_", local.lower()), local.replace(".", "-"))


def principal(application_id: str) -> Identity:
    return Identity(application_id, application_id)


class UnresolvedVariable(ValueError):
    pass


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged


def load_bundle(project: Path) -> dict:
    """databricks.yml with every file of its `include` merged in."""
    config = yaml.safe_load((project / "databricks.yml").read_text())
    for pattern in config.get("include", []):
        for path in sorted(project.glob(pattern)):
            config = _merge(config, yaml.safe_load(path.read_text()))
    return config


def select_target(config: dict, target: str, identity: Identity, variables: dict | None = None) -> dict:
    """The configuration `bundle validate -t target` works on: the target merged over the root,
    its variables and `${...}` references resolved for the deploying identity."""
    spec = config["targets"][target] or {}
    merged = _merge({k: v for k, v in config.items() if k not in {"targets", "variables"}}, spec)
    merged["bundle"] = {**merged.get("bundle", {}), "target": target}
    if "mode" in spec:
        merged["bundle"]["mode"] = spec["mode"]
    for key in ("run_as", "permissions"):  # a target's own section replaces the root's
        if key in spec:
            merged[key] = spec[key]
    merged["_explicit_root_path"] = bool((spec.get("workspace") or {}).get("root_path"))
    values = {name: decl["default"] for name, decl in config.get("variables", {}).items() if "default" in decl}
    values |= spec.get("variables", {}) | (variables or {})
    context = {
        "workspace.current_user.userName": identity.user_name,
        "workspace.current_user.short_name": identity.short_name,
        "bundle.name": config["bundle"]["name"],
        "bundle.target": target,
        "workspace.file_path": "/Workspace/files",
    }

    def resolve(value, seen=()):
        if isinstance(value, dict):
            return {k: resolve(v, seen) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v, seen) for v in value]
        if not isinstance(value, str):
            return value

        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("var."):
                key = name.removeprefix("var.")
                if key not in values:
                    raise UnresolvedVariable(f"no value assigned to required variable {key}")
                return str(resolve(values[key], (*seen, key)))
            return context.get(name, match.group(0))  # resources.* ids exist only after deploy

        return REFERENCE.sub(one, value)

    return resolve(merged)


def _expand_home(path: str, identity: Identity) -> str:
    return f"/Workspace/Users/{identity.user_name}/{path[2:]}" if path.startswith("~/") else path


def diagnostics(config: dict, identity: Identity) -> list[str]:
    """What the CLI reports for a selected target (see select_target), as its summaries."""
    found: list[str] = []
    mode = config.get("bundle", {}).get("mode", "")
    presets = config.get("presets", {})
    workspace = config.get("workspace", {})
    resources = config.get("resources", {})
    pipelines = resources.get("pipelines", {}) or {}
    jobs = resources.get("jobs", {}) or {}

    if mode == "development":
        if presets.get("trigger_pause_status") == "UNPAUSED":
            found.append("target with 'mode: development' cannot set trigger pause status to UNPAUSED by default")
        for key in WORKSPACE_PATHS:
            path = _expand_home(workspace.get(key, ""), identity)
            if path and identity.user_name not in path and identity.short_name not in path:
                found.append(f"{key} must start with '~/' or contain the current username")
                break
        prefix = presets.get("name_prefix", "")
        names = [identity.user_name, identity.short_name, identity.domain_friendly_name]
        if prefix and not any(name and name in prefix for name in names):
            found.append("prefix should contain the current username or ${workspace.current_user.short_name}")
    elif mode == "production":
        development = presets.get("pipelines_development")
        if any((spec or {}).get("development", development) for spec in pipelines.values()):
            found.append("target with 'mode: production' cannot include a pipeline with 'development: true'")
        elif not config["_explicit_root_path"]:
            run_as_everywhere = all((spec or {}).get("run_as") or config.get("run_as") for spec in jobs.values())
            severity = "should" if run_as_everywhere or identity.is_service_principal else "must"
            found.append(f"target with 'mode: production' {severity} set 'workspace.root_path'")
    elif mode:
        found.append(f"unsupported value '{mode}' specified for 'mode'")

    if "run_as" in config:
        run_as = config["run_as"] or {}
        names = [run_as.get("service_principal_name", ""), run_as.get("user_name", "")]
        if not any(names):
            found.append("run_as section must specify exactly one identity")
        elif all(names):
            found.append("run_as section cannot specify both user_name and service_principal_name")

    permissions = config.get("permissions") or []
    if permissions and not any(
        p.get("level") == "CAN_MANAGE" and identity.user_name in (p.get("user_name"), p.get("service_principal_name"))
        for p in permissions
    ):
        found.append("permissions section should explicitly include the current deployment identity")
    return found
