# PLACEHOLDER: state is kept in a local file until you choose a remote backend, and CI refuses to
# apply until you do (README.md, "Terraform"). One state per environment, as Terraform workspaces
# (`terraform workspace select -or-create <environment>`). For example:
#   backend "azurerm" {
#     resource_group_name  = "<resource group>"
#     storage_account_name = "<storage account>"
#     container_name       = "tfstate"
#     key                  = "lakeflow_project.tfstate"
#     use_azuread_auth     = true
#   }
terraform {
  backend "local" {}
}
