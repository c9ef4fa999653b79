# Terraform and the providers, pinned: the Databricks provider is the release that Databricks CLI
# 1.13.0 uses for bundle deploys.
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    databricks = {
      source  = "databricks/databricks"
      version = "1.128.0"
    }
  }
}
