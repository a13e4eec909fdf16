"""Notify: emails, text messages and letters through each organisation's own GOV.UK Notify service."""


def init_app(app, api) -> None:
    from civic.core import actions as named_actions
    from civic.core import privacy as registry
    from civic.notify import actions, demo, privacy, routes, tasks

    api.register_blueprint(routes.blp)
    api.register_blueprint(routes.public_blp)
    tasks.init_app(app)
    registry.register(app, privacy.ENTRY)
    named_actions.register(app, *actions.ACTIONS)
    app.extensions.setdefault("civic.demo_hooks", []).append(demo.seed)
