# One environment's values: environments/<environment>.tfvars sets them all.

variable "environment" {
  description = "The environment (bundle target) these objects serve."
  type        = string
}

variable "workspace_host" {
  description = "URL of the environment's workspace."
  type        = string

  validation {
    condition     = can(regex("^https://[^/]+/?$", var.workspace_host)) && !endswith(trimsuffix(var.workspace_host, "/"), ".invalid")
    error_message = "workspace_host must be the workspace URL; the .invalid placeholder means it is not set yet in this environment's .tfvars."
  }
}

variable "catalog_name" {
  description = "Unity Catalog catalog of the environment."
  type        = string
}

variable "create_catalog" {
  description = "true: Terraform creates and owns the catalog; false: it exists already and is only referenced."
  type        = bool
}

variable "catalog_storage_root" {
  description = "Managed storage location of a created catalog; null uses the metastore's."
  type        = string
  default     = null
}

variable "schema_name" {
  description = "The project's schema, which the bundle deploys in its shared targets (resources/schema.yml)."
  type        = string
}

variable "deployer_application_id" {
  description = "Application ID of the existing service principal that CI deploys this environment with; empty: Terraform creates one."
  type        = string
}

variable "deployer_display_name" {
  description = "Display name of the deploying service principal."
  type        = string
}

variable "deployer_creates_clusters" {
  description = "Whether the deployer may create clusters: only classic-compute pipelines need it."
  type        = bool
}

variable "deployer_creates_schemas" {
  description = "Whether the deployer creates schemas in the catalog: a shared environment's, its project schema; CI's principal, its integration-test copies'."
  type        = bool
}

variable "readers_group" {
  description = "Account group that may read the gold tables."
  type        = string
}

variable "schema_creators" {
  description = "Principals that may create schemas in the catalog: developers' personal schemas, CI's integration-test copies."
  type        = list(string)
}

variable "gold_tables" {
  description = "The gold tables the pipelines publish, by name in the project schema."
  type        = list(string)
}

variable "gold_tables_deployed" {
  description = "Set true once the bundle has deployed here and its pipelines have run: grants on the schema and its tables need them."
  type        = bool
}
