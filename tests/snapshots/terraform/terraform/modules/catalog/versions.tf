# The provider this module's `databricks_*` resources use. Without it Terraform would look for
# hashicorp/databricks, which does not exist. The root module pins the exact version.
terraform {
  required_providers {
    databricks = {
      source  = "databricks/databricks"
      version = ">= 1.128.0"
    }
  }
}
