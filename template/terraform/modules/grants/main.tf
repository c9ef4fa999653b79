# Least-privilege grants: the roles below get exactly these privileges; nobody gets ALL_PRIVILEGES
# or MANAGE, and nothing is granted on the catalog beyond using it and, for schema creators,
# creating schemas. A deployer owns the schema and volume its bundle creates, and what its
# pipelines create, so it needs nothing on them.
# One databricks_grant per securable and principal: grants made outside Terraform stay.

variable "catalog" {
  description = "The environment's catalog."
  type        = string
}

variable "schema" {
  description = "The project schema, catalog.schema (the bundle deploys it)."
  type        = string
}

variable "deployer" {
  description = "Application ID of the deploying service principal."
  type        = string
}

variable "deployer_creates_schemas" {
  description = "The deployer creates schemas: its bundle's schema, or CI's integration-test copies."
  type        = bool
}

variable "readers_group" {
  description = "Account group that reads the gold tables."
  type        = string
}

variable "schema_creators" {
  description = "Principals that may create their own schemas in the catalog."
  type        = list(string)
}

variable "deployed" {
  description = "The bundle has deployed the schema and the pipelines have created their tables."
  type        = bool
}

variable "gold_tables" {
  description = "Gold tables to grant SELECT on, catalog.schema.table."
  type        = list(string)
}

locals {
  # What each role may do, per securable, and nothing more.
  deployer = {
    catalog = ["USE_CATALOG"]
  }
  reader = {
    catalog = ["USE_CATALOG"]
    schema  = ["USE_SCHEMA"]
    table   = ["SELECT"]
  }
  schema_creator = {
    catalog = ["USE_CATALOG", "CREATE_SCHEMA"]
  }

  # Keyed by role, not by principal: a new deployer's application ID is known only after apply.
  catalog_grants = merge(
    {
      deployer = { principal = var.deployer, privileges = var.deployer_creates_schemas ? local.schema_creator.catalog : local.deployer.catalog }
      readers  = { principal = var.readers_group, privileges = local.reader.catalog }
    },
    {
      for principal in var.schema_creators :
      "schema creator ${principal}" => { principal = principal, privileges = local.schema_creator.catalog }
    },
  )
}

resource "databricks_grant" "catalog" {
  for_each   = local.catalog_grants
  catalog    = var.catalog
  principal  = each.value.principal
  privileges = each.value.privileges
}

resource "databricks_grant" "readers_schema" {
  count      = var.deployed ? 1 : 0
  schema     = var.schema
  principal  = var.readers_group
  privileges = local.reader.schema
}

resource "databricks_grant" "gold_tables" {
  for_each   = toset(var.deployed ? var.gold_tables : [])
  table      = each.value
  principal  = var.readers_group
  privileges = local.reader.table
}
