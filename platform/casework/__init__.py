"""Casework: case types as data, queues, SLA clocks that pause, timelines, and referrals between
organisations under data-sharing agreements."""


def init_app(app, api) -> None:
    from civic.casework import actions as casework_actions
    from civic.core import actions as named_actions
    from civic.casework import models  # noqa: F401  (tables)
    from civic.casework import demo, privacy, routes, tasks
    from civic.core import privacy as registry

    api.register_blueprint(routes.blp)
    tasks.init_app(app)
    registry.register(app, privacy.ENTRY)
    named_actions.register(app, *casework_actions.ACTIONS)
    app.extensions.setdefault("civic.demo_hooks", []).append(demo.seed)
