"""The reporting component: citizens' reports routed to whoever is responsible, Open311, demand insight."""


def init_app(app, api) -> None:
    from civic.reporting import actions as reporting_actions
    from civic.core import actions as named_actions
    from civic.core import privacy
    from civic.core.openapi import document
    from civic.reporting import models  # noqa: F401  (tables)
    from civic.reporting import demo, insight_routes, open311, open311_docs, privacy as reporting_privacy, routes, tasks

    api.register_blueprint(routes.blp)
    api.register_blueprint(insight_routes.blp)
    api.register_blueprint(insight_routes.open_data)
    tasks.init_app(app)
    app.extensions.setdefault("civic.demo_hooks", []).append(demo.seed)
    app.register_blueprint(open311.bp)
    document(api, open311_docs.PATHS, open311_docs.TAG)
    privacy.register(app, reporting_privacy.ENTRY)
    named_actions.register(app, *reporting_actions.ACTIONS)
