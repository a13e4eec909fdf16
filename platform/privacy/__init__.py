"""Privacy: subject search across every component and subject access requests within the statutory month,
built over the core's personal-data registry (each component declares what it holds)."""


def init_app(app, api) -> None:
    from civic.privacy import models  # noqa: F401  (tables)
    from civic.privacy import routes

    api.register_blueprint(routes.blp)
