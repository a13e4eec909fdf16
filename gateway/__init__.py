"""The OAuth2 gateway: tenants, clients, staff users, tokens and the steward's admin API."""
import logging

HSTS = "max-age=31536000; includeSubDomains"


def init_app(app, api) -> None:
    from civic.core import caching, people
    from civic.core.auth import register_api_key_lookup, register_token_validator  # here: `civic --help` stays light
    from civic.gateway import models  # noqa: F401  (tables)
    from civic.gateway import oauth, routes, service

    # Authlib's debug logs print whole tokens: never let them be emitted, whatever the log level.
    logging.getLogger("authlib").setLevel(logging.WARNING)
    _session_cookie(app)
    register_token_validator(app, service.principal_for)
    # A change to any of these drops every process's cache of validated tokens at once.
    caching.watch(models.Client, models.Token, models.StaffUser)
    # Open311 clients that cannot do OAuth send an API key; components ask civic.core.auth.api_key_client.
    register_api_key_lookup(app, service.client_by_api_key)
    people.register_staff_lookup(app, service.staff_member)  # components ask civic.core.people.staff_user
    oauth.config_oauth(app)
    routes.init_app(app, api)


def _session_cookie(app) -> None:
    """The staff sign-in cookie: never readable by scripts, not sent cross-site, HTTPS only in production."""
    from civic.gateway.views import SESSION_LIFETIME

    production = app.config["ENV"] == "production"
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=production,
                      PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME)  # also the signature's maximum age
    if production:
        @app.after_request
        def _hsts(response):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
            return response
