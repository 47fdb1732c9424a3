"""Spark, reached by configuration: one set of options for the feature engine and Feast."""
