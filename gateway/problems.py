"""The gateway's error codes: onboarding, grants, staff users, sign-in throttling, and OAuth's own."""
from civic.core.errors import declare

SLUG_TAKEN = declare("slug_taken", 409, "That slug is taken",
                     means="Another organisation already has this slug.",
                     action="Choose another slug (the short name in URLs, such as `food-bank`).")
TENANT_REQUIRED = declare("tenant_required", 422, "Say which organisation",
                          means="A steward creating a client or staff user must say which organisation it is for.",
                          action="Send `tenant` with the organisation's slug or id.")
UNKNOWN_SCOPE = declare("unknown_scope", 422, "Unknown scope",
                        means="One of the scopes asked for does not exist on this platform.",
                        action="Choose from the scopes listed in `errors`.")
SANDBOX_NOT_STEWARD = declare("sandbox_not_steward", 422, "A sandbox client cannot be the steward",
                              means="`platform:admin` is only for live clients.",
                              action="Leave `platform:admin` out, or create a live client.")
WEAK_PASSWORD = declare("weak_password", 422, "Password too short",
                        means="Staff passwords need at least 12 characters.",
                        action="Choose a longer password, or leave it out to get a generated one.")
EMAIL_TAKEN = declare("email_taken", 409, "Email already in use",
                      means="Your organisation already has a staff user with this email address.",
                      action="Change the existing user instead (PATCH /v1/admin/users/{user_id}).")
PUBLIC_CLIENT = declare("public_client", 409, "Public clients have no secret",
                        means="A public client (a browser or mobile app) has no secret, so there is nothing to rotate.",
                        action="Nothing to do: public clients sign in with PKCE.")
CLIENT_REVOKED = declare("client_revoked", 409, "The client is revoked",
                         means="This client was revoked: it can no longer be changed or used.",
                         action="Create a new client.")
# Grants: nobody gives what they do not hold.
SANDBOX_ONLY = declare("sandbox_only", 403, "Sandbox clients create sandbox clients",
                       means="A sandbox (test) client can only create sandbox clients.",
                       action="Use a live client to create a live one.")
SCOPE_NOT_HELD = declare("scope_not_held", 403, "You do not hold that scope",
                         means="You cannot give (or act on a client holding) a scope your own token does not have.",
                         action="Ask for fewer scopes, or ask the platform steward.")
INTROSPECTION_NOT_HELD = declare("introspection_not_held", 403, "Only the steward grants introspection",
                                 means="Only the platform steward can let a client introspect tokens.",
                                 action="Leave `can_introspect` out, or ask the platform steward.")
RATE_LIMIT_NOT_HELD = declare("rate_limit_not_held", 403, "Rate limit above your own",
                              means="A client's rate limit cannot be above your organisation's.",
                              action="Ask for a lower limit, or ask the platform steward to raise your organisation's.")
ROLE_NOT_HELD = declare("role_not_held", 403, "Role above your own",
                        means="You cannot give or change a role above your own.",
                        action="Ask someone with that role (or the platform steward) to do it.")
SANDBOX_NO_STAFF = declare("sandbox_no_staff", 403, "Sandbox clients cannot manage staff",
                           means="A sandbox (test) client cannot see or manage staff users.",
                           action="Use a live client with `clients:manage`.")
TOO_MANY_FAILURES = declare("too_many_failures", 429, "Too many failed attempts",
                            means="Too many wrong secrets or passwords were tried for this client, user or address.",
                            action="Wait for the seconds in `Retry-After`, then try again with the right credentials.")
INTROSPECTION_NOT_ALLOWED = declare("introspection_not_allowed", 403, "Introspection not allowed",
                                    means="This client may not introspect tokens.",
                                    action="Ask the platform steward for a client that may (`can_introspect`).")

# OAuth 2.0's own error codes (RFC 6749 section 5.2, RFC 7009): the `error` field of an /oauth/ answer,
# which is also its problem `code`.
OAUTH_ERRORS = {kind.code: kind for kind in (
    declare("invalid_request", 400, "Invalid OAuth request",
            means="A parameter is missing, repeated or not valid.",
            action="Check the parameters against the OAuth guide; `error_description` says which."),
    declare("invalid_client", 401, "Client authentication failed",
            means="The client id or secret is wrong, or the client is revoked or its organisation suspended.",
            action="Check the client id and secret (after a rotation, use the new secret)."),
    declare("invalid_grant", 400, "Invalid grant",
            means="The authorization code, refresh token or PKCE verifier is wrong, used or expired.",
            action="Start the sign-in again to get a new code; a used refresh token cannot be reused."),
    declare("unauthorized_client", 400, "Grant type not allowed for this client",
            means="This client may not use that grant type.",
            action="Use a grant type the client is registered for."),
    declare("unsupported_grant_type", 400, "Unsupported grant type",
            means="The platform does not support that `grant_type`.",
            action="Use client_credentials, authorization_code or refresh_token."),
    declare("invalid_scope", 400, "Invalid scope",
            means="A scope asked for is unknown, or not one this client holds.",
            action="Ask only for scopes the client holds (GET /v1/whoami lists a token's)."),
    declare("access_denied", 403, "Access denied",
            means="The person declined, or may not give this app access.",
            action="Ask the person to sign in again and allow access."),
    declare("unsupported_response_type", 400, "Unsupported response type",
            means="Only `response_type=code` is supported.",
            action="Use the authorization code flow with PKCE."),
    declare("unsupported_token_type", 400, "Unsupported token type",
            means="The token type hint is not one the platform issues.",
            action="Use `access_token` or `refresh_token`, or leave the hint out."),
)}
