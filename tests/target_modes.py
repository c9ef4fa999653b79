"""The Databricks CLI's rules for a bundle target, replayed: what `databricks bundle validate -t T`
reports for its mode, run_as, permissions and resource lifecycles, which no schema encodes, and
the names the CLI gives schemas and volumes in each target.

Read from databricks/cli at tag v1.13.0, the release the projects pin (the reference schema is of
the same commit): bundle/config/mutator/resourcemutator/validate_target_mode.go (modes),
bundle/config/mutator/resourcemutator/run_as.go (run_as),
bundle/permissions/permission_diagnostics.go (permissions),
bundle/config/mutator/resourcemutator/apply_target_mode.go and apply_presets.go (the name prefix
and how schema names take it), bundle/config/mutator/initialize_volume_paths.go (volume_path),
bundle/phases/plan.go (checkForPreventDestroy) and
bundle/config/mutator/validate_lifecycle_started.go (lifecycle). Errors and recommendations are
both returned: a rendered target must give neither.
"""

from __future__ import annotations

import re
import unicodedata
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

        if (whole := REFERENCE.fullmatch(value)) and whole.group(1).startswith("var."):
            key = whole.group(1).removeprefix("var.")
            if key in values and not isinstance(values[key], str):
                return values[key]  # a pure reference keeps its value's type (libs/dyn/dynvar/resolve.go)
        return REFERENCE.sub(one, value)

    return _resolve_resource_fields(apply_presets(resolve(merged), identity))


def normalize_prefix(prefix: str) -> str:
    """apply_presets.go normalizePrefix: '[dev jane_doe] ' becomes 'dev_jane_doe_' (libs/textutil)."""
    prefix = prefix.replace("[", "").strip(" ")
    suffix = "_" if prefix.endswith("]") else ""
    name = "".join(c if unicodedata.category(c)[0] in "LN" else "_" for c in prefix.lower())
    return re.sub("_+", "_", name).strip("_") + suffix


def apply_presets(config: dict, identity: Identity) -> dict:
    """Development mode's default name prefix (apply_target_mode.go), then the prefix on schema
    names (apply_presets.go; volumes take none, they live in the schema)."""
    presets = config.setdefault("presets", {})
    if config.get("bundle", {}).get("mode") == "development" and not presets.get("name_prefix"):
        presets["name_prefix"] = f"[dev {identity.short_name}] "
    if not (config.get("experimental") or {}).get("skip_name_prefix_for_schema"):
        prefix = normalize_prefix(presets.get("name_prefix", ""))
        for schema in (config.get("resources", {}).get("schemas") or {}).values():
            schema["name"] = prefix + schema["name"]
    return config


def _resolve_resource_fields(config: dict) -> dict:
    """References to other resources' configured fields, and volumes' computed volume_path
    (initialize_volume_paths.go); IDs exist only after a deploy and stay references."""
    resources = config.get("resources", {})

    def field(match: re.Match) -> str:
        path = match.group(1).split(".")
        if len(path) != 4 or path[0] != "resources":
            return match.group(0)
        value = ((resources.get(path[1]) or {}).get(path[2]) or {}).get(path[3])
        return match.group(0) if value is None else str(value)

    def resolve(value):
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return REFERENCE.sub(field, value) if isinstance(value, str) else value

    for volume in (resources.get("volumes") or {}).values():
        volume["volume_path"] = "/Volumes/" + "/".join(
            resolve(volume[k]) for k in ("catalog_name", "schema_name", "name")
        )
    return resolve(config)


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

    for kind, specs in resources.items():
        for name, spec in (specs or {}).items():
            lifecycle = (spec or {}).get("lifecycle") or {}
            if "prevent_destroy" in lifecycle and not isinstance(lifecycle["prevent_destroy"], bool):
                found.append(f"internal error: prevent_destroy is not a boolean for resources.{kind}.{name}")
            if "started" in lifecycle and config.get("bundle", {}).get("engine") != "direct":
                found.append("lifecycle.started is only supported in direct deployment mode")

    permissions = config.get("permissions") or []
    if permissions and not any(
        p.get("level") == "CAN_MANAGE" and identity.user_name in (p.get("user_name"), p.get("service_principal_name"))
        for p in permissions
    ):
        found.append("permissions section should explicitly include the current deployment identity")
    return found


def prevent_destroy_refusals(config: dict, actions: dict[str, str]) -> list[str]:
    """What `bundle deploy` (or destroy) refuses of a plan, {resource key: action}, on a selected
    target: a recreate or delete of a resource whose lifecycle.prevent_destroy is set
    (bundle/phases/plan.go, checkForPreventDestroy). A resource no longer in the configuration has
    no lifecycle left, so its delete is not refused."""
    refused = []
    for key, action in sorted(actions.items()):
        if action not in ("recreate", "delete"):
            continue
        kind, name = key.removeprefix("resources.").split(".", 1)
        spec = (config.get("resources", {}).get(kind) or {}).get(name) or {}
        if (spec.get("lifecycle") or {}).get("prevent_destroy") is True:
            refused.append(
                f"{key} has lifecycle.prevent_destroy set, but the plan calls for this resource to be recreated "
                f"or destroyed. To avoid this error, disable lifecycle.prevent_destroy for {key}"
            )
    return refused
