"""Privacy: subject search across every component, subject access requests within the statutory month,
erasure (recorded, to re-apply after a restore) and rectification, built over the core's personal-data
registry (each component declares what it holds)."""


def init_app(app, api) -> None:
    from civic.privacy import models  # noqa: F401  (tables)
    from civic.privacy import routes

    api.register_blueprint(routes.blp)
