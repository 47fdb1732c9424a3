"""Real retail data sets shipped with the platform (see README.md in each folder); read them
through ``importlib.resources.files("pricing_datasets")``."""
