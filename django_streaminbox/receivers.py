"""Receivers for the user model's signals (placeholder until the core app lands)."""


def connect() -> None:
    """Connect the receivers; called once from ``AppConfig.ready``."""
