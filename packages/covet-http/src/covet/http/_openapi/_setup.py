"""An app's OpenAPI settings, and the routes that serve the document and the docs pages."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from covet.http._exceptions import ConfigurationError, HTTPException
from covet.http._fileresponse import FileResponse
from covet.http._json import json_dumps
from covet.http._openapi._docs import (
    SWAGGER_INIT,
    DocsAssets,
    content_security_policy,
    redoc_page,
    resolve_assets,
    swagger_ui_page,
)
from covet.http._openapi._servers import operation_servers, place
from covet.http._requests import Request
from covet.http._responses import Response

if TYPE_CHECKING:
    from covet.http._app import Covet

#: how many root paths (proxy prefixes) get their own rendered copy of the document
_MAX_RENDERED = 16


@dataclass(frozen=True)
class OpenAPIConfig:
    title: str = "CovetPy"
    version: str = "0.1.0"
    summary: str | None = None
    description: str | None = None
    terms_of_service: str | None = None
    contact: Mapping[str, Any] | None = None
    license_info: Mapping[str, Any] | None = None
    servers: Sequence[Mapping[str, Any]] = ()
    tags: Sequence[Mapping[str, Any]] = ()
    openapi_url: str | None = "/openapi.json"
    docs_url: str | None = "/docs"
    redoc_url: str | None = "/redoc"
    docs_assets: str = "cdn"
    swagger_ui_parameters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("openapi_url", "docs_url", "redoc_url"):
            url = getattr(self, name)
            if url is not None and (not url.startswith("/") or "{" in url):
                raise ConfigurationError(f"{name} must be a path starting with '/': {url!r}")
        for server in self.servers:
            if not isinstance(server, Mapping) or "url" not in server:
                raise ConfigurationError(f"each server is a dict with a 'url': {server!r}")
        for tag in self.tags:
            if not isinstance(tag, Mapping) or "name" not in tag:
                raise ConfigurationError(f"each openapi_tags entry needs a 'name': {tag!r}")


def build_document(app: Covet) -> dict[str, Any]:
    from covet.http._openapi._document import DocumentBuilder

    return DocumentBuilder(app).build()


def served_document(app: Covet, root: str) -> dict[str, Any]:
    """The document as served below ``root`` (a proxy prefix, a mount): unless the app names
    its servers, ``root`` is its server, and the app's own URLs in it are placed below it."""
    document = app.openapi()
    if root and not app.openapi_config.servers:
        document = place(copy.deepcopy(document), root)
        document["servers"] = [{"url": root}]
    return document


def _root_path(app: Covet, request: Request) -> str:
    root: str = request.scope.get("root_path", "") or app.root_path
    return root.rstrip("/")


def install(app: Covet) -> None:
    """Add the document and docs routes the app's settings ask for (none when it is off)."""
    config = app.openapi_config
    if config.openapi_url is None:
        return  # the pages would have no document to show
    openapi_url = config.openapi_url
    rendered: dict[str, bytes] = {}

    async def openapi_document(request: Request) -> Response:
        root = _root_path(app, request)
        body = rendered.get(root)
        if body is None:
            body = json_dumps(served_document(app, root))
            if len(rendered) < _MAX_RENDERED:
                rendered[root] = body
        return Response(body, media_type="application/json")

    router = app.router
    router.add_route(openapi_url, openapi_document, ["GET"], include_in_schema=False)
    if config.docs_url is None and config.redoc_url is None:
        return
    assets = resolve_assets(config.docs_assets, config.docs_url, config.redoc_url)
    policies: list[dict[str, str]] = []

    def policy() -> dict[str, str]:
        """The pages' CSP, once the routes are known: "Try it out" may call the servers and
        the hosts of Host entries."""
        if not policies:
            try:
                hosts = operation_servers(app.openapi())
            except Exception:  # a document that cannot be built: its own route says why
                hosts = []
            servers = [*config.servers, *hosts]
            policies.append({"Content-Security-Policy": content_security_policy(assets, servers)})
        return policies[0]

    if config.docs_url is not None:
        docs_url = config.docs_url
        init_path = docs_url.rstrip("/") + "/swagger-init.js"

        async def swagger_ui(request: Request) -> Response:
            root = _root_path(app, request)
            page = swagger_ui_page(
                title=config.title,
                openapi_url=root + openapi_url,
                init_url=root + init_path,
                assets=_rooted(assets, root),
                parameters=config.swagger_ui_parameters,
            )
            return Response(page, media_type="text/html", headers=policy())

        async def swagger_init() -> Response:
            return Response(
                SWAGGER_INIT,
                media_type="text/javascript",
                headers={"Cache-Control": "public, max-age=3600"},
            )

        router.add_route(docs_url, swagger_ui, ["GET"], include_in_schema=False)
        router.add_route(init_path, swagger_init, ["GET"], include_in_schema=False)
        if assets.files:
            _asset_route(app, docs_url, assets.files)
    if config.redoc_url is not None:
        redoc_url = config.redoc_url

        async def redoc(request: Request) -> Response:
            root = _root_path(app, request)
            page = redoc_page(
                title=config.title, openapi_url=root + openapi_url, assets=_rooted(assets, root)
            )
            return Response(page, media_type="text/html", headers=policy())

        router.add_route(redoc_url, redoc, ["GET"], include_in_schema=False)
        if assets.files and redoc_url != config.docs_url:
            _asset_route(app, redoc_url, assets.files)


def _rooted(assets: DocsAssets, root: str) -> DocsAssets:
    """Local asset URLs below the request's root path (CDN URLs stay as they are)."""
    if not root or not assets.files:
        return assets

    def fix(url: str) -> str:
        return root + url if url.startswith("/") else url

    return replace(
        assets,
        swagger_js=fix(assets.swagger_js),
        swagger_css=fix(assets.swagger_css),
        redoc_js=fix(assets.redoc_js),
    )


def _asset_route(app: Covet, base: str, files: Mapping[str, Any]) -> None:
    async def docs_asset(name: str) -> Response:
        path = files.get(name)
        if path is None:
            raise HTTPException(404)
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(
            path, media_type=media, headers={"Cache-Control": "public, max-age=86400"}
        )

    app.router.add_route(
        base.rstrip("/") + "/assets/{name}", docs_asset, ["GET"], include_in_schema=False
    )
