# What must exist before the first `databricks bundle deploy` of an environment, one module per
# concern. Bundles own the pipelines and jobs; this owns where they publish and who may do what.

module "catalog" {
  source       = "./modules/catalog"
  name         = var.catalog_name
  create       = var.create_catalog
  storage_root = var.catalog_storage_root
}

module "schema" {
  source  = "./modules/schema"
  catalog = module.catalog.name
  name    = var.schema_name
}

module "landing_volume" {
  source  = "./modules/landing_volume"
  catalog = module.catalog.name
  schema  = module.schema.name
  name    = var.landing_volume_name
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
  schema          = module.schema.full_name
  volume          = module.landing_volume.full_name
  readers_group   = var.readers_group
  schema_creators = var.schema_creators

  deployer                 = module.deployer.application_id
  deployer_creates_schemas = var.deployer_creates_schemas

  # Grants on tables need the tables: the pipelines create them on their first run.
  gold_tables = var.gold_tables_deployed ? [for table in var.gold_tables : "${module.schema.full_name}.${table}"] : []
}
