"""The OAuth 2.0 endpoints in the OpenAPI spec (they are plain Flask views, so their operations are written here)."""
from civic.core.errors import type_uri
from civic.core.openapi import error_answer

TAG = {"name": "oauth", "description": (
    "Getting and handling tokens (OAuth 2.0). An app of your organisation gets a token with its client id and "
    "secret (`grant_type=client_credentials`); a staff app signs a person in with the authorization code flow "
    "and PKCE, then keeps them signed in with the refresh token. Requests are form-encoded. Errors keep OAuth's "
    "own fields (`error`, `error_description`, RFC 6749) and also carry the problem fields (`type`, `code`...)."
    " See the guides \"Your first booking in 10 minutes\" and \"Sign your staff in\" at /docs/guides.")}
FORM = "application/x-www-form-urlencoded"
OAUTH_ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "string", "description": "The OAuth error code (RFC 6749 section 5.2)."},
    "error_description": {"type": "string"}, "type": {"type": "string"}, "title": {"type": "string"},
    "status": {"type": "integer"}, "detail": {"type": "string"}, "code": {"type": "string"}}}


def _oauth_error(code: str, status: int, description: str) -> dict:
    return {"error": code, "error_description": description, "type": type_uri(code),
            "title": code.replace("_", " ").capitalize(), "status": status, "detail": description, "code": code}


def _errors(status: int, what: str, *cases: tuple[str, str]) -> dict:
    return error_answer(what, "application/problem+json", OAUTH_ERROR,
                        {code: _oauth_error(code, status, text) for code, text in cases})


THROTTLED = error_answer("Too many failed attempts: wait `Retry-After` seconds.", "application/problem+json",
                         {"$ref": "#/components/schemas/Problem"}, {"too_many_failures": {
                             "type": type_uri("too_many_failures"), "title": "Too many failed attempts",
                             "status": 429, "detail": "Too many failed attempts. Wait before trying again.",
                             "code": "too_many_failures"}})
CLIENT_AUTH = ("Authenticate the client with HTTP Basic (`-u CLIENT_ID:CLIENT_SECRET`) or with `client_id` and "
               "`client_secret` in the form; a public client sends only `client_id`.")
TOKEN = {"access_token": "at_Qm9va2luZyB0b2tlbiBmb3IgdGhlIGZvb2QgYmFuaw", "token_type": "Bearer",
         "expires_in": 3600, "scope": "booking:read booking:write"}

PATHS = {
    "/oauth/token": {"post": {
        "tags": ["oauth"], "security": [],
        "summary": "Get an access token (client credentials, an authorization code, or a refresh token).",
        "description": f"{CLIENT_AUTH} `scope` asks for some of the scopes the client holds (all of them if left "
                       "out). An access token lasts `expires_in` seconds; send it as `Authorization: Bearer <token>`. "
                       "An authorization code (with its PKCE `code_verifier`) also gives a `refresh_token`; each "
                       "refresh gives a new one and the old one stops working. Repeated wrong secrets are slowed "
                       "and then refused for a while. Errors: `invalid_request`, `invalid_client`, `invalid_grant`, "
                       "`unauthorized_client`, `unsupported_grant_type`, `invalid_scope`, `too_many_failures`.",
        "requestBody": {"required": True, "content": {FORM: {"schema": {
            "type": "object", "required": ["grant_type"], "properties": {
                "grant_type": {"type": "string", "enum": ["client_credentials", "authorization_code", "refresh_token"]},
                "scope": {"type": "string", "description": "Space-separated scopes."},
                "client_id": {"type": "string"}, "client_secret": {"type": "string"},
                "code": {"type": "string"}, "redirect_uri": {"type": "string"},
                "code_verifier": {"type": "string", "description": "PKCE: the secret behind the code_challenge."},
                "refresh_token": {"type": "string"}}},
            "example": {"grant_type": "client_credentials", "scope": "booking:read booking:write"}}}},
        "responses": {
            "200": {"description": "A token.", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"access_token": {"type": "string"}, "token_type": {"type": "string"},
                                                 "expires_in": {"type": "integer"}, "scope": {"type": "string"},
                                                 "refresh_token": {"type": "string"}}}, "example": TOKEN}}},
            "400": _errors(400, "The request or grant is not valid.",
                           ("invalid_request", "Missing \"grant_type\" in request."),
                           ("invalid_grant", "Invalid \"code\" in request."),
                           ("unauthorized_client", "The client is not authorized to use \"grant_type=authorization_code\"."),
                           ("unsupported_grant_type", "The password grant is not supported."),
                           ("invalid_scope", "The requested scope is invalid, unknown, or malformed.")),
            "401": _errors(401, "The client could not be authenticated.",
                           ("invalid_client", "The client id or secret is not valid.")),
            "429": THROTTLED}}},
    "/oauth/revoke": {"post": {
        "tags": ["oauth"], "security": [],
        "summary": "Revoke an access or refresh token you hold (RFC 7009), for example when a person signs out.",
        "description": f"{CLIENT_AUTH} Revoking a refresh token also ends the access tokens it gave. The answer is "
                       "200 whether or not the token was still active. Errors: `invalid_client`, "
                       "`unsupported_token_type`, `too_many_failures`.",
        "requestBody": {"required": True, "content": {FORM: {"schema": {
            "type": "object", "required": ["token"], "properties": {
                "token": {"type": "string"},
                "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]}}},
            "example": {"token": TOKEN["access_token"], "token_type_hint": "access_token"}}}},
        "responses": {
            "200": {"description": "Revoked (or was not active)."},
            "400": _errors(400, "The token type is not one the platform issues.",
                           ("unsupported_token_type", "The token type hint is not supported.")),
            "401": _errors(401, "The client could not be authenticated.",
                           ("invalid_client", "The client id or secret is not valid.")),
            "429": THROTTLED}}},
    "/oauth/introspect": {"post": {
        "tags": ["oauth"], "security": [],
        "summary": "Ask whether a token is active and what it carries (RFC 7662), as a resource server.",
        "description": f"{CLIENT_AUTH} Only clients the platform steward lets introspect may call it. An inactive, "
                       "expired or unknown token answers `{\"active\": false}` and nothing else. Errors: "
                       "`invalid_client`, `introspection_not_allowed`, `too_many_failures`.",
        "requestBody": {"required": True, "content": {FORM: {"schema": {
            "type": "object", "required": ["token"], "properties": {"token": {"type": "string"},
                                                                    "token_type_hint": {"type": "string"}}},
            "example": {"token": TOKEN["access_token"]}}}},
        "responses": {
            "200": {"description": "The token's state.", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"active": {"type": "boolean"}, "scope": {"type": "string"},
                                                 "client_id": {"type": "string"}, "exp": {"type": "integer"},
                                                 "iat": {"type": "integer"}, "token_type": {"type": "string"}}},
                "example": {"active": True, "scope": "booking:read booking:write", "client_id": "demo-food-bank",
                            "token_type": "Bearer", "exp": 1793869200, "iat": 1793865600}}}},
            "401": _errors(401, "The client could not be authenticated.",
                           ("invalid_client", "The client id or secret is not valid.")),
            "403": error_answer("This client may not introspect tokens.", "application/problem+json",
                                {"$ref": "#/components/schemas/Problem"}, {"introspection_not_allowed": {
                                    "type": type_uri("introspection_not_allowed"), "title": "Introspection not allowed",
                                    "status": 403, "detail": "This client is not allowed to introspect tokens.",
                                    "code": "introspection_not_allowed"}}),
            "429": THROTTLED}}},
    "/oauth/authorize": {
        "get": {
            "tags": ["oauth"], "security": [],
            "summary": "Sign a member of staff in (authorization code flow with PKCE): the sign-in page.",
            "description": "Send the person's browser here. They sign in with their staff email and password and "
                           "allow your app; the browser then returns to your `redirect_uri` with `code` and `state`, "
                           "which your app exchanges at /oauth/token with its `code_verifier`. A refused or broken "
                           "request returns to the redirect URI with an `error` parameter (such as access_denied or "
                           "invalid_scope) or, when the client or redirect URI is unknown, shows an error page.",
            "parameters": [
                {"in": "query", "name": "response_type", "required": True, "schema": {"type": "string", "enum": ["code"]}},
                {"in": "query", "name": "client_id", "required": True, "schema": {"type": "string"},
                 "example": "cl_Vt3kQ9xYp2LmN8aRw4sJ1g"},
                {"in": "query", "name": "redirect_uri", "required": True, "schema": {"type": "string"},
                 "example": "https://rota.riverside-hospice.example/signed-in"},
                {"in": "query", "name": "scope", "schema": {"type": "string"}, "example": "booking:read"},
                {"in": "query", "name": "state", "required": True, "schema": {"type": "string"},
                 "description": "A random value you check when the browser returns.", "example": "k3X9pQ2v"},
                {"in": "query", "name": "code_challenge", "required": True, "schema": {"type": "string"},
                 "description": "BASE64URL(SHA-256(code_verifier)).",
                 "example": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
                {"in": "query", "name": "code_challenge_method", "required": True,
                 "schema": {"type": "string", "enum": ["S256"]}}],
            "responses": {
                "200": {"description": "The sign-in and consent page.", "content": {"text/html": {"schema": {"type": "string"}}}},
                "302": {"description": "Back to `redirect_uri` with `code` and `state` (or `error`)."},
                "400": {"description": "An error page: the client or redirect URI is not valid.",
                        "content": {"text/html": {"schema": {"type": "string"}}}}}},
        "post": {
            "tags": ["oauth"], "security": [],
            "summary": "The sign-in form's answer (sent by the page above, not by your app).",
            "description": "The page posts the email, password and consent with its CSRF token; wrong passwords "
                           "are counted and slowed. On success the browser is sent to `redirect_uri` with a code.",
            "responses": {
                "302": {"description": "Back to `redirect_uri` with `code` and `state` (or `error`)."},
                "200": {"description": "The page again, saying what to fix.",
                        "content": {"text/html": {"schema": {"type": "string"}}}},
                "429": {"description": "Too many failed sign-ins: the page says when to try again.",
                        "content": {"text/html": {"schema": {"type": "string"}}}}}}},
    "/.well-known/oauth-authorization-server": {"get": {
        "tags": ["oauth"], "security": [],
        "summary": "Where the OAuth endpoints are and what they support (RFC 8414), for OAuth libraries.",
        "description": "Point your OAuth library at this address and it finds the rest.",
        "responses": {"200": {"description": "The metadata.", "content": {"application/json": {
            "schema": {"type": "object", "properties": {"issuer": {"type": "string"},
                                                        "token_endpoint": {"type": "string"}}},
            "example": {"issuer": "https://api.riverside.example",
                        "authorization_endpoint": "https://api.riverside.example/oauth/authorize",
                        "token_endpoint": "https://api.riverside.example/oauth/token",
                        "revocation_endpoint": "https://api.riverside.example/oauth/revoke",
                        "introspection_endpoint": "https://api.riverside.example/oauth/introspect",
                        "scopes_supported": ["booking:read", "booking:write"], "response_types_supported": ["code"],
                        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
                        "code_challenge_methods_supported": ["S256"],
                        "service_documentation": "https://api.riverside.example/docs"}}}}}}},
}
