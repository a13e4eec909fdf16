"""Flows: signed webhooks to each organisation's own systems, automations (an event, a CEL condition,
steps of actions) with every run recorded and retryable, and composed services (a citizen's form and the
steps that carry it out, waiting for events and undoing what was done when a step fails)."""


def init_app(app, api) -> None:
    from civic.core import actions as named_actions, privacy
    from civic.flows import actions, privacy as flows_privacy, routes, tasks

    if app.config["ENV"] == "production" and app.config.get("FLOWS_WEBHOOK_ALLOW_PRIVATE"):
        raise RuntimeError("Refusing to start in production with CIVIC_FLOWS_WEBHOOK_ALLOW_PRIVATE: "
                           "webhooks could reach the platform's own network.")
    api.register_blueprint(routes.blp)
    tasks.init_app(app)
    privacy.register(app, flows_privacy.ENTRY)
    named_actions.register(app, *actions.ACTIONS)
