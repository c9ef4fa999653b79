"""Development and CI tooling of this project (not deployed to Databricks)."""
