# The project's schema, where the pipelines of the environment's bundle target publish.

variable "catalog" {
  description = "Catalog of the schema."
  type        = string
}

variable "name" {
  description = "Schema name."
  type        = string
}

resource "databricks_schema" "this" {
  catalog_name = var.catalog
  name         = var.name
  comment      = "Managed by Terraform; tables are published by the bundle's pipelines."
}

output "name" {
  description = "The schema's name."
  value       = databricks_schema.this.name
}

output "full_name" {
  description = "catalog.schema"
  value       = databricks_schema.this.id
}
