"""Privacy: subject search across every component, subject access requests within the statutory month,
erasure (recorded, to re-apply after a restore) and rectification, retention schedules, each
organisation's public privacy notice with the steward's record of processing, the consent register, and
the citizen privacy page (`/privacy`: see, download, opt out, ask for a copy, correction or erasure), all
built over the core's personal-data registry (each component declares what it holds)."""


def init_app(app, api) -> None:
    from civic.core import actions, events, jobs, privacy
    from civic.core.openapi import document
    from civic.privacy import consent, models, page_docs, retention, routes, views  # noqa: F401  (tables)

    api.register_blueprint(routes.blp)
    api.register_blueprint(routes.public_blp)
    app.register_blueprint(views.bp)  # the citizen privacy page, /privacy (HTML forms: not in the API)
    document(api, page_docs.PATHS, page_docs.TAG)
    jobs.register(app, "privacy.retention", retention.run)
    jobs.schedule(app, "privacy.retention", retention.EVERY_SECONDS)
    privacy.register(app, consent.ENTRY)
    actions.register(app, *consent.ACTIONS)
    jobs.register(app, consent.UNSUBSCRIBED_JOB, consent.unsubscribed)
    events.subscribe(app, "civic.notify.unsubscribed", consent.UNSUBSCRIBED_JOB)
