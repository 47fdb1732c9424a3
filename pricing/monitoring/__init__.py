"""Drift monitor core: which rows are compared, the verdict, the history of runs.

Evidently renders and computes the reports at the edge (``pricing_monitoring``); this package
chooses the windows and turns the figures into a decision, with no framework import."""
