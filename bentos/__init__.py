"""BentoML service and build configuration (thin: the logic lives in ``pricing.serving``)."""
