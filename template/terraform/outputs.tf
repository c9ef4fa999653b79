output "environment" {
  description = "The environment applied; stops a plan that pairs one environment's values with another's state."
  value       = var.environment

  precondition {
    condition     = terraform.workspace == var.environment
    error_message = "Select the environment's workspace first: terraform workspace select -or-create <environment>."
  }
}

output "catalog" {
  description = "The environment's catalog."
  value       = module.catalog.name
}

output "schema" {
  description = "The project schema, catalog.schema, which the bundle deploys."
  value       = "${module.catalog.name}.${var.schema_name}"
}

output "deployer_application_id" {
  description = "Application ID of the deploying service principal: databricks.yml's service_principal and CI's DATABRICKS_CLIENT_ID."
  value       = module.deployer.application_id
}
