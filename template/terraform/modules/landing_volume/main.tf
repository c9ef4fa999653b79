# The managed volume the pipelines read landing files from, one folder per pipeline.

variable "catalog" {
  description = "Catalog of the volume."
  type        = string
}

variable "schema" {
  description = "Schema of the volume."
  type        = string
}

variable "name" {
  description = "Volume name."
  type        = string
}

resource "databricks_volume" "this" {
  catalog_name = var.catalog
  schema_name  = var.schema
  name         = var.name
  volume_type  = "MANAGED"
  comment      = "Landing files, one folder per pipeline. Managed by Terraform."
}

output "full_name" {
  description = "catalog.schema.volume"
  value       = databricks_volume.this.id
}

output "path" {
  description = "/Volumes/catalog/schema/volume"
  value       = databricks_volume.this.volume_path
}
