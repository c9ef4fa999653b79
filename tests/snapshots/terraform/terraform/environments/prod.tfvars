# prod: a shared target, deployed by CI.
# terraform workspace select -or-create prod && terraform apply -var-file=environments/prod.tfvars
environment    = "prod"
workspace_host = "https://set-workspace-host-for-prod.invalid"

# create_catalog = false if the catalog exists already: Terraform then only references it.
# catalog_storage_root = null: the metastore's managed storage.
catalog_name         = "prod"
create_catalog       = true
catalog_storage_root = null

schema_name         = "lakeflow_project"
landing_volume_name = "landing"

# The principal that deploys prod and that its pipelines and jobs run as.
# Empty: Terraform creates a Databricks-managed one; put its application ID (output
# deployer_application_id) in databricks.yml (targets.prod.variables.service_principal) and in CI.
deployer_application_id   = ""
deployer_display_name     = "lakeflow_project-prod"
deployer_creates_clusters = false
deployer_creates_schemas  = false

readers_group = "lakeflow_project-readers"

schema_creators = []

# Set gold_tables_deployed = true after the pipelines' first run here: readers then get SELECT
# on these tables (grants on tables need the tables).
gold_tables          = ["orders_gold"]
gold_tables_deployed = false
