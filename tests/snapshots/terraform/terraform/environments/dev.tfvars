# dev: the personal development target (each developer deploys a copy into a schema of their own).
# terraform workspace select -or-create dev && terraform apply -var-file=environments/dev.tfvars
environment    = "dev"
workspace_host = "https://set-workspace-host-for-dev.invalid"

# create_catalog = false if the catalog exists already: Terraform then only references it.
# catalog_storage_root = null: the metastore's managed storage.
catalog_name         = "dev"
create_catalog       = true
catalog_storage_root = null

schema_name         = "lakeflow_project"
landing_volume_name = "landing"

# CI's own principal: it validates this target.
# Empty: Terraform creates a Databricks-managed one; put its application ID (output
# deployer_application_id) in the CI variable group or environment.
deployer_application_id   = ""
deployer_display_name     = "lakeflow_project-ci"
deployer_creates_clusters = false
deployer_creates_schemas  = false

readers_group = "lakeflow_project-readers"

# Developers create their personal schemas here.
schema_creators = ["lakeflow_project-developers"]

# Set gold_tables_deployed = true after the pipelines' first run here: readers then get SELECT
# on these tables (grants on tables need the tables).
gold_tables          = ["orders_gold"]
gold_tables_deployed = false
