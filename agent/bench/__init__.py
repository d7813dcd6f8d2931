"""corral.bench: measure what users pay for."""
