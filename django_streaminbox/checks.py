"""System checks (placeholder until the core app lands)."""
