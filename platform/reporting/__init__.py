"""The reporting component: citizens' reports routed to whoever is responsible, Open311, demand insight."""


def init_app(app, api) -> None:
    from civic.core import privacy
    from civic.reporting import models  # noqa: F401  (tables)
    from civic.reporting import open311, privacy as reporting_privacy, routes

    api.register_blueprint(routes.blp)
    app.register_blueprint(open311.bp)
    privacy.register(app, reporting_privacy.ENTRY)
