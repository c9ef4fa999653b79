# The environment's catalog: created and owned here, or an existing one referenced by name.

variable "name" {
  description = "Catalog name."
  type        = string
}

variable "create" {
  description = "Create the catalog (true) or reference an existing one (false)."
  type        = bool
}

variable "storage_root" {
  description = "Managed storage location of a created catalog; null uses the metastore's."
  type        = string
}

resource "databricks_catalog" "this" {
  count        = var.create ? 1 : 0
  name         = var.name
  storage_root = var.storage_root
  comment      = "Managed by Terraform."
}

data "databricks_catalog" "existing" {
  count = var.create ? 0 : 1
  name  = var.name
}

output "name" {
  description = "The catalog's name, once it exists."
  value       = var.create ? databricks_catalog.this[0].name : data.databricks_catalog.existing[0].name
}
