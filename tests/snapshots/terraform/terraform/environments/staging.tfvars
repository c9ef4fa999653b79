# staging: a shared target, deployed by CI.
# terraform workspace select -or-create staging && terraform apply -var-file=environments/staging.tfvars
environment    = "staging"
workspace_host = "https://set-workspace-host-for-staging.invalid"

# create_catalog = false if the catalog exists already: Terraform then only references it.
# catalog_storage_root = null: the metastore's managed storage.
catalog_name         = "staging"
create_catalog       = true
catalog_storage_root = null

schema_name         = "lakeflow_project"
landing_volume_name = "landing"

# The principal that deploys staging and that its pipelines and jobs run as.
# Empty: Terraform creates a Databricks-managed one; put its application ID (output
# deployer_application_id) in databricks.yml (targets.staging.variables.service_principal) and in CI.
deployer_application_id   = ""
deployer_display_name     = "lakeflow_project-staging"
deployer_creates_clusters = false
deployer_creates_schemas  = false

readers_group = "lakeflow_project-readers"

# CI's principal creates a schema per integration-test copy here: add its application ID (output
# deployer_application_id of dev), e.g. ["00000000-0000-0000-0000-000000000000"].
schema_creators = []

# Set gold_tables_deployed = true after the pipelines' first run here: readers then get SELECT
# on these tables (grants on tables need the tables).
gold_tables          = ["orders_gold"]
gold_tables_deployed = false
