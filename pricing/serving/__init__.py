"""Online pricing: request contracts, the recommendation engine, decision logging."""
