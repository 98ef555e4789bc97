"""The second engine (SPEC §8): Apache Spark, as PyPI's pyspark ships it."""
