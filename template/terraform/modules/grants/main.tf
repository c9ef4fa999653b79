# Least-privilege grants: the roles below get exactly these privileges; nobody gets ALL_PRIVILEGES
# or MANAGE, and nothing is granted on the catalog beyond using it and, for schema creators,
# creating schemas.
# One databricks_grant per securable and principal: grants made outside Terraform stay.

variable "catalog" {
  description = "The environment's catalog."
  type        = string
}

variable "schema" {
  description = "The project schema, catalog.schema."
  type        = string
}

variable "volume" {
  description = "The landing volume, catalog.schema.volume."
  type        = string
}

variable "deployer" {
  description = "Application ID of the deploying service principal."
  type        = string
}

variable "deployer_creates_schemas" {
  description = "The deployer also creates schemas (CI's principal, for integration-test copies)."
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

variable "gold_tables" {
  description = "Gold tables to grant SELECT on, catalog.schema.table (empty until they exist)."
  type        = list(string)
}

locals {
  # What each role may do, per securable, and nothing more.
  deployer = {
    catalog = ["USE_CATALOG"]
    schema  = ["USE_SCHEMA", "CREATE_TABLE", "CREATE_MATERIALIZED_VIEW"]
    volume  = ["READ_VOLUME"]
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
  schema_grants = {
    deployer = { principal = var.deployer, privileges = local.deployer.schema }
    readers  = { principal = var.readers_group, privileges = local.reader.schema }
  }
}

resource "databricks_grant" "catalog" {
  for_each   = local.catalog_grants
  catalog    = var.catalog
  principal  = each.value.principal
  privileges = each.value.privileges
}

resource "databricks_grant" "schema" {
  for_each   = local.schema_grants
  schema     = var.schema
  principal  = each.value.principal
  privileges = each.value.privileges
}

resource "databricks_grant" "landing_volume" {
  volume     = var.volume
  principal  = var.deployer
  privileges = local.deployer.volume
}

resource "databricks_grant" "gold_tables" {
  for_each   = toset(var.gold_tables)
  table      = each.value
  principal  = var.readers_group
  privileges = local.reader.table
}
