"""Authlib authorization server, in the shape of Authlib's example: grants override storage hooks only.

Grants: client_credentials; authorization_code with PKCE (S256 only) required
for every client; refresh_token with rotation and reuse detection. No password grant.
"""
import datetime as dt
import secrets

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import current_app

from civic.core.db import session, utcnow
from civic.core.tenancy import Tenant
from civic.gateway import service
from civic.gateway.models import AuthorizationCode, Client, StaffUser, Token, digest

server = AuthorizationServer()


def _allowed_scope(asked: str, client: Client, user: StaffUser) -> str:
    """What a person may get through an app: the scopes asked for that the app has and the role allows."""
    return " ".join(s for s in dict.fromkeys(asked.split()) if s in client.scope_set and service.role_allows(user.role, s))


def query_client(client_id):
    client = session.scalars(sa.select(Client).where(Client.client_id == client_id)).first()
    if client is None or client.revoked_at or not session.get(Tenant, client.tenant_id).active:
        return None
    return client


def save_token(token: dict, request) -> None:
    client, now = request.client, utcnow()
    previous = getattr(request, "refresh_token", None)
    code = getattr(request, "authorization_code", None)
    user = getattr(request, "user", None)
    row = Token(tenant_id=client.tenant_id, client_pk=client.id, user_id=user.id if user else None,
                scope=token.get("scope", ""), access_token_hash=digest(token["access_token"]), issued_at=now,
                expires_at=now + dt.timedelta(seconds=token["expires_in"]),
                family_id=previous.family_id if previous else None, code_id=code.id if code else None)
    if token.get("refresh_token"):
        row.refresh_token_hash = digest(token["refresh_token"])
        row.refresh_expires_at = now + dt.timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"])
    session.add(row)
    session.flush()


def _commit_now() -> None:
    """Revocations on detected replay must stick although the request itself fails (4xx rolls back)."""
    session.commit()


class S256Required(CodeChallenge):
    """PKCE for every client, S256 only: no plain, no missing challenge, no verifier without challenge."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code, request):
        data = request.payload.data
        asked = request.payload.scope or " ".join(request.client.scopes)
        scope = _allowed_scope(asked, request.client, request.user)
        session.add(AuthorizationCode(
            code_hash=digest(code), tenant_id=request.client.tenant_id, client_pk=request.client.id,
            user_id=request.user.id, redirect_uri=request.payload.redirect_uri or "", scope=scope,
            code_challenge=data["code_challenge"], code_challenge_method=data["code_challenge_method"],
            nonce=data.get("nonce"), expires_at=utcnow() + dt.timedelta(seconds=current_app.config["AUTH_CODE_TTL"])))
        session.flush()

    def query_authorization_code(self, code, client):
        row = session.scalars(sa.select(AuthorizationCode).where(
            AuthorizationCode.code_hash == digest(code), AuthorizationCode.client_pk == client.id)).first()
        if row is None:
            return None
        claimed = session.execute(sa.update(AuthorizationCode).where(
            AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None)).values(used_at=utcnow()))
        if claimed.rowcount != 1:
            # A second use of a code: revoke whatever the first use issued (RFC 6749 section 4.1.2).
            session.execute(sa.update(Token).where(Token.code_id == row.id, Token.revoked_at.is_(None))
                            .values(revoked_at=utcnow()))
            _commit_now()
            return None
        if row.expires_at <= utcnow():
            return None
        return _CodeView(row)

    def delete_authorization_code(self, authorization_code):
        pass  # kept, marked used, so a replay can be detected

    def authenticate_user(self, authorization_code):
        user = session.get(StaffUser, authorization_code.row.user_id)
        return user if user and user.status == "active" else None


class _CodeView:
    """What Authlib asks of a stored code."""

    def __init__(self, row: AuthorizationCode):
        self.row, self.id, self.code_challenge = row, row.id, row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self):
        return self.row.redirect_uri or None

    def get_scope(self):
        return self.row.scope


class RefreshTokenGrant(grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def authenticate_refresh_token(self, refresh_token):
        row = session.scalars(sa.select(Token).where(Token.refresh_token_hash == digest(refresh_token))).first()
        if row is None:
            return None
        claimed = session.execute(sa.update(Token).where(
            Token.id == row.id, Token.refresh_used_at.is_(None), Token.revoked_at.is_(None)
        ).values(refresh_used_at=utcnow()))
        if claimed.rowcount != 1:
            # Reuse of a rotated (or revoked) refresh token: the whole family is compromised.
            service.revoke_token_family(family_id=row.family_id)
            _commit_now()
            return None
        if row.refresh_expires_at and row.refresh_expires_at <= utcnow():
            return None
        return row

    def authenticate_user(self, refresh_token):
        # Refresh tokens come only from the authorization code grant, so they always have a person.
        user = session.get(StaffUser, refresh_token.user_id) if refresh_token.user_id else None
        return user if user and user.status == "active" else None

    def issue_token(self, user, refresh_token):
        # Re-derived from the person's current role and the app's current scopes: a demotion sticks.
        scope = _allowed_scope(self.request.payload.scope or refresh_token.get_scope(), self.request.client, user)
        return self.generate_token(user=user, scope=scope, include_refresh_token=self.INCLUDE_NEW_REFRESH_TOKEN)

    def revoke_old_credential(self, refresh_token):
        refresh_token.revoked_at = utcnow()
        session.flush()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _token_client(token: Token) -> Client:
    return session.get(Client, token.client_pk)


def _query_token(token_string, hint):
    by_access = sa.select(Token).where(Token.access_token_hash == digest(token_string))
    by_refresh = sa.select(Token).where(Token.refresh_token_hash == digest(token_string))
    order = [by_refresh, by_access] if hint == "refresh_token" else [by_access, by_refresh]
    for query in order:
        row = session.scalars(query).first()
        if row is not None:
            return row
    return None


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string, token_type_hint):
        return _query_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        token.revoked_at = utcnow()
        if token.refresh_token_hash and request.form.get("token_type_hint") != "access_token":
            service.revoke_token_family(family_id=token.family_id)
        session.flush()


class Introspection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return _query_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        if not client.can_introspect:
            raise IntrospectionNotAllowed()
        return token.tenant_id == client.tenant_id or "platform:admin" in client.scope_set

    def introspect_token(self, token):
        client = _token_client(token)
        tenant = session.get(Tenant, token.tenant_id)
        user = session.get(StaffUser, token.user_id) if token.user_id else None
        person = token.user_id is not None
        active = not client.revoked_at and tenant.active and (not person or (user is not None and user.status == "active"))
        # The same answer as the API's own token check: narrowed to the app's and the person's current powers.
        now = service.token_scopes(scope=token.scope, client_scopes=client.scopes, role=user.role if user else None,
                                   person=person, sandbox=client.sandbox)
        scope = " ".join(s for s in token.scope.split() if s in now)
        return {"active": active, "client_id": client.client_id, "token_type": "Bearer", "scope": scope,
                "sub": str(token.user_id) if token.user_id else client.client_id,
                "exp": int(token.expires_at.timestamp()), "iat": int(token.issued_at.timestamp()),
                "tenant": tenant.slug, "iss": issuer()}


class IntrospectionNotAllowed(Exception):
    """The calling client was not granted the right to introspect tokens."""


def issuer() -> str:
    """CIVIC_ISSUER, or the request's host when that is allowed (see civic.core.edge)."""
    from civic.core.edge import base_url

    return base_url()


def config_oauth(app) -> None:
    """Wire the authorization server, its grants and endpoints into the app."""
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = list(service.KNOWN_SCOPES)

    def expires_in(client, grant_type):
        return app.config["ACCESS_TOKEN_TTL"]

    def access(**_kw):
        return "at_" + secrets.token_urlsafe(32)

    def refresh(**_kw):
        return "rt_" + secrets.token_urlsafe(32)

    server.register_token_generator("default", BearerTokenGenerator(access, refresh, expires_in))
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [S256Required(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
