# The workspace of the environment being applied. Credentials come from the environment, as for
# the Databricks CLI: DATABRICKS_AUTH_TYPE, DATABRICKS_CLIENT_ID and the rest (CI sets them), or a
# profile (`DATABRICKS_CONFIG_PROFILE`) on a laptop.
provider "databricks" {
  host = var.workspace_host
}
