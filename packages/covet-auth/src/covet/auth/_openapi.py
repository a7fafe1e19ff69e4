"""What covet-auth adds to an app's OpenAPI document, through covet-http's ``__covet_openapi__``.

- ``AuthenticationMiddleware``: the ``HTTPBearer`` scheme (a JWT in ``Authorization``), and in
  cookie mode the ``APIKeyCookie`` scheme naming the access-token cookie.
- ``auth_router``'s ``POST /token``: the ``OAuth2PasswordBearer`` scheme whose password flow
  points at that route wherever the router is mounted, below the root path the document is
  served at or behind a Host (``context.url``; not in cookie mode, where the token never reaches
  the client), and the token endpoints' own bodies and answers.
- Guards (``login_required``, ``requires(...)``, ``requires_role(...)``), as dependencies or as
  decorators: the operation's ``security`` with the scopes it needs, and its 401/403 answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from covet.auth._middleware import AuthCookie
    from covet.http import OpenAPIContext

BEARER = "HTTPBearer"
COOKIE = "APIKeyCookie"
OAUTH2 = "OAuth2PasswordBearer"


def middleware_schemes(context: OpenAPIContext) -> None:
    context.add_security_scheme(
        BEARER,
        {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from the token endpoint.",
        },
    )
    cookie: AuthCookie | None = context.middleware_options.get("cookie")
    if cookie is not None:
        context.add_security_scheme(
            COOKIE,
            {
                "type": "apiKey",
                "in": "cookie",
                "name": cookie.name,
                "description": "The HttpOnly access-token cookie the token endpoint sets.",
            },
        )


def guard_security(context: OpenAPIContext, scopes: frozenset[str], roles: frozenset[str]) -> None:
    if not context.security_schemes:  # a guard without the middleware still takes a bearer
        context.add_security_scheme(BEARER, {"type": "http", "scheme": "bearer"})
    context.require_security(scopes)
    context.add_response(401, "Not authenticated: no valid access token.")
    if scopes or roles:
        context.add_response(403, "Forbidden: the token lacks a required scope or role.")


def _grant(grant_type: str, fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {"grant_type": {"type": "string", "enum": [grant_type]}, **fields},
        "required": required,
    }
    return {"schema": schema}


def _pair(cookie: bool) -> dict[str, Any]:
    if cookie:
        properties: dict[str, Any] = {
            "token_type": {"type": "string", "const": "cookie"},
            "expires_in": {"type": "integer"},
        }
    else:
        properties = {
            "access_token": {"type": "string"},
            "refresh_token": {"type": "string"},
            "token_type": {"type": "string"},
            "expires_in": {"type": "integer"},
        }
    return {"type": "object", "properties": properties, "required": sorted(properties)}


def _errors(context: OpenAPIContext) -> None:
    context.add_response(
        400, "Bad request (wrong grant_type, or a JSON body that is not an object)."
    )
    context.add_response(415, "The body is neither a form nor JSON.")
    context.add_response(503, "The token store is unavailable; retry after Retry-After seconds.")


def token_endpoint(context: OpenAPIContext, cookie: bool) -> None:
    assert context.operation is not None and context.url is not None
    if not cookie:
        url = context.url  # below the app's root path in a document served there
        refresh = url.rsplit("/", 1)[0] + "/refresh"
        context.add_security_scheme(
            OAUTH2,
            {
                "type": "oauth2",
                "flows": {"password": {"tokenUrl": url, "refreshUrl": refresh, "scopes": {}}},
            },
        )
    fields = {
        "username": {"type": "string", "minLength": 1},
        "password": {"type": "string", "minLength": 1, "format": "password"},
    }
    body = _grant("password", fields, ["username", "password"])
    context.operation["summary"] = "Log in (OAuth2 password grant)"
    context.operation["requestBody"] = {
        "required": True,
        "content": {"application/x-www-form-urlencoded": body, "application/json": body},
    }
    ok = {"application/json": {"schema": _pair(cookie)}}
    context.operation["responses"]["200"] = {"description": "A new token pair.", "content": ok}
    context.add_response(401, "Incorrect username or password.")
    context.add_response(422, "username and password are required.")
    context.add_response(429, "Too many failed logins; retry after Retry-After seconds.")
    _errors(context)


def refresh_endpoint(context: OpenAPIContext, cookie: bool) -> None:
    assert context.operation is not None
    body = _grant(
        "refresh_token",
        {"refresh_token": {"type": "string", "minLength": 1}},
        [] if cookie else ["refresh_token"],
    )
    context.operation["summary"] = "Refresh the token pair"
    context.operation["requestBody"] = {
        "required": not cookie,
        "content": {"application/x-www-form-urlencoded": body, "application/json": body},
    }
    ok = {"application/json": {"schema": _pair(cookie)}}
    context.operation["responses"]["200"] = {"description": "A new token pair.", "content": ok}
    context.add_response(401, "The refresh token is invalid, expired, revoked or reused.")
    context.add_response(422, "refresh_token is required.")
    _errors(context)


def logout_endpoint(context: OpenAPIContext, cookie: bool) -> None:
    assert context.operation is not None
    body = _grant("refresh_token", {"refresh_token": {"type": "string", "minLength": 1}}, [])
    context.operation["summary"] = "Log out: end the session"
    context.operation["requestBody"] = {
        "required": False,
        "content": {"application/x-www-form-urlencoded": body, "application/json": body},
    }
    context.operation["responses"].pop("200", None)
    context.operation["responses"]["204"] = {"description": "The session has ended."}
    context.add_response(401, "No valid access or refresh token was presented.")
    _errors(context)
