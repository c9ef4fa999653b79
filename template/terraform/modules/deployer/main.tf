# The service principal that CI deploys the environment with, and that its pipelines and jobs run
# as: an existing one added to the workspace by application ID, or a new Databricks-managed one.
# Entitlements are the least a bundle deploy needs: workspace access, and cluster creation only
# for classic-compute pipelines.

variable "application_id" {
  description = "Application ID of an existing service principal; empty creates a new one."
  type        = string
}

variable "display_name" {
  description = "Display name of the service principal."
  type        = string
}

variable "create_clusters" {
  description = "Allow cluster creation (classic-compute pipelines only)."
  type        = bool
}

resource "databricks_service_principal" "this" {
  application_id       = var.application_id == "" ? null : var.application_id
  display_name         = var.display_name
  workspace_access     = true
  allow_cluster_create = var.create_clusters
}

output "application_id" {
  description = "The principal's application ID, the name grants use."
  value       = databricks_service_principal.this.application_id
}
