"""Evidently at the edge: the reports ``pricing.monitoring`` asks for (``pricing_monitoring``)."""
