"""Real-time path: Kafka events -> validation -> Feast push (the ``realtime`` view)."""
