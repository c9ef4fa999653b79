output "catalog" {
  description = "The environment's catalog."
  value       = module.catalog.name
}

output "schema" {
  description = "The project schema, catalog.schema."
  value       = module.schema.full_name
}

output "landing_path" {
  description = "The landing volume's path: the bundle variable landing_root of this environment."
  value       = module.landing_volume.path
}

output "deployer_application_id" {
  description = "Application ID of the deploying service principal: databricks.yml's service_principal and CI's DATABRICKS_CLIENT_ID."
  value       = module.deployer.application_id
}
