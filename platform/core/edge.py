"""Between the platform and the network: trusted proxies, allowed hosts, the public base URL.

Forwarded headers are believed only for the configured number of proxy hops
(werkzeug's ProxyFix); a `Host:` outside CIVIC_ALLOWED_HOSTS is a 400. Answers
that publish URLs (OAuth metadata, Open311 discovery) use `base_url()` and are
cacheable only when that URL is configured rather than taken from the request.
"""
import functools
from urllib.parse import urlsplit

from flask import current_app, make_response, request

from civic.core import problems

# Probes and scrapers call by address; these answers publish no URL.
HOST_EXEMPT = {"health.healthz", "health.readyz", "health.metrics"}
CONFIGURED_MAX_AGE = 300


def base_url() -> str:
    """The platform's public URL: CIVIC_ISSUER, else this (allowed) request's host."""
    return current_app.config["ISSUER"].rstrip("/") or request.host_url.rstrip("/")


def publishes_urls(view):
    """Mark a view whose answer contains `base_url()`: only cacheable when the URL is configured."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        configured = bool(current_app.config["ISSUER"])
        response.headers["Cache-Control"] = f"public, max-age={CONFIGURED_MAX_AGE}" if configured else "no-store"
        if not configured:
            response.vary.add("Host")
        return response

    return wrapper


def allowed_hosts(config: dict) -> list[str]:
    """Configured names; in production without any, only the issuer's host."""
    hosts = [h.lower() for h in config["ALLOWED_HOSTS"]]
    if not hosts and config["ENV"] == "production" and config["ISSUER"]:
        hosts = [urlsplit(config["ISSUER"]).hostname]
    return hosts


def host_allowed(host: str, hosts: list[str]) -> bool:
    try:
        name = urlsplit("//" + host).hostname or ""
    except ValueError:
        return False
    # ".example.org" allows every subdomain of example.org.
    return any(name == h or (h.startswith(".") and name.endswith(h)) for h in hosts)


def init_app(app) -> None:
    from authlib.oauth2.rfc6749.errors import InsecureTransportError
    from werkzeug.middleware.proxy_fix import ProxyFix

    config = app.config
    hops = {"x_for": config["PROXY_X_FOR"], "x_proto": config["PROXY_X_PROTO"], "x_host": config["PROXY_X_HOST"]}
    if any(hops.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, **hops)
    hosts = allowed_hosts(config)

    @app.before_request
    def _check_host():
        if hosts and request.endpoint not in HOST_EXEMPT and not host_allowed(request.host, hosts):
            raise problems.HOST_NOT_ALLOWED("This host name is not served here.")

    @app.errorhandler(InsecureTransportError)
    def _insecure(_error):
        # Authlib refuses OAuth over plain http (except loopback): a client error, not a 500.
        from civic.core.errors import handle_problem

        return handle_problem(problems.HTTPS_REQUIRED(
                                      "OAuth needs https. Behind a TLS-terminating proxy, set CIVIC_PROXY_X_PROTO."))
