# Up to copier-lakeflow 0.3 Terraform created the project schema and the landing volume, and granted
# the deployer privileges on them; the bundle owns both now (resources/schema.yml). Terraform
# forgets them without destroying or revoking anything, and the bundle adopts them
# (`databricks bundle deployment bind`, README.md: CI/CD). A new environment has none of these.

removed {
  from = module.schema

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.landing_volume

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.grants.databricks_grant.schema

  lifecycle {
    destroy = false
  }
}

removed {
  from = module.grants.databricks_grant.landing_volume

  lifecycle {
    destroy = false
  }
}
