"""Booking: bookable resources, opening hours, availability, holds and bookings that never overbook."""


def init_app(app, api) -> None:
    from civic.booking import demo, privacy, routes, tasks
    from civic.core import privacy as registry

    api.register_blueprint(routes.blp)
    tasks.init_app(app)
    from civic.booking import subscriptions
    subscriptions.init_app(app)
    registry.register(app, privacy.ENTRY)
    app.extensions.setdefault("civic.demo_hooks", []).append(demo.seed)
