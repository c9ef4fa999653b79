"""`local-pipeline`: run the project's pipelines on Apache Spark, offline."""
