"""The booking component (being built)."""


def init_app(app, api) -> None:
    """Nothing to register yet."""
