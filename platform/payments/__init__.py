"""Payments: card payments and refunds through each organisation's own Stripe account, in GOV.UK Pay's shape."""


def init_app(app, api) -> None:
    from civic.payments import actions as payments_actions
    from civic.core import actions as named_actions
    from civic.core import privacy as registry
    from civic.payments import privacy, routes, tasks

    api.register_blueprint(routes.blp)
    tasks.init_app(app)
    registry.register(app, privacy.ENTRY)
    named_actions.register(app, *payments_actions.ACTIONS)
