"""Flows: signed webhooks to each organisation's own systems, and automations (an event, a CEL condition,
steps of actions) with every run recorded and retryable (composed services to follow)."""


def init_app(app, api) -> None:
    from civic.flows import routes, tasks

    if app.config["ENV"] == "production" and app.config.get("FLOWS_WEBHOOK_ALLOW_PRIVATE"):
        raise RuntimeError("Refusing to start in production with CIVIC_FLOWS_WEBHOOK_ALLOW_PRIVATE: "
                           "webhooks could reach the platform's own network.")
    api.register_blueprint(routes.blp)
    tasks.init_app(app)
