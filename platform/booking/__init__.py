"""Booking: bookable resources, opening hours, availability, holds and bookings that never overbook."""


def init_app(app, api) -> None:
    from civic.booking import actions, demo, privacy, routes, tasks
    from civic.core import actions as named_actions, privacy as registry

    api.register_blueprint(routes.blp)
    tasks.init_app(app)
    from civic.booking import subscriptions
    subscriptions.init_app(app)
    registry.register(app, privacy.ENTRY)
    named_actions.register(app, *actions.ACTIONS)
    app.extensions.setdefault("civic.demo_hooks", []).append(demo.seed)
