# What must exist before the first `databricks bundle deploy` of an environment, one module per
# concern: the catalog, the deploying principal and who may do what. The bundle owns the rest:
# its schema, landing volume, pipelines and jobs (resources/).

module "catalog" {
  source       = "./modules/catalog"
  name         = var.catalog_name
  create       = var.create_catalog
  storage_root = var.catalog_storage_root
}

module "deployer" {
  source          = "./modules/deployer"
  application_id  = var.deployer_application_id
  display_name    = var.deployer_display_name
  create_clusters = var.deployer_creates_clusters
}

module "grants" {
  source          = "./modules/grants"
  catalog         = module.catalog.name
  schema          = "${module.catalog.name}.${var.schema_name}"
  readers_group   = var.readers_group
  schema_creators = var.schema_creators

  deployer                 = module.deployer.application_id
  deployer_creates_schemas = var.deployer_creates_schemas

  # Grants on the schema and its tables need them: the bundle deploys the schema, the
  # pipelines' first run creates the tables.
  deployed    = var.gold_tables_deployed
  gold_tables = [for table in var.gold_tables : "${module.catalog.name}.${var.schema_name}.${table}"]
}
