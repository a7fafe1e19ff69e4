"""The interactive documentation pages: Swagger UI and ReDoc.

The pages hold no inline script or style: Swagger UI is started by a small script the app serves
next to the page, ReDoc starts itself from its ``<redoc>`` element. Each page carries its own
Content-Security-Policy naming exactly where its assets come from, so it works (and stays locked
down) under a security-headers middleware that keeps the headers an app sets. The assets come
from a CDN (jsDelivr) by default, like FastAPI's, or with ``docs_assets="local"`` from installed
packages, served by the app itself: Swagger UI from ``swagger-ui-bundle-v2``
(``pip install covet-http[docs]``), ReDoc from ``drf-spectacular-sidecar``.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from covet.http._exceptions import ConfigurationError

CDN = "https://cdn.jsdelivr.net"
SWAGGER_CDN = f"{CDN}/npm/swagger-ui-dist@5"
REDOC_CDN = f"{CDN}/npm/redoc@2/bundles"
#: Swagger UI's defaults that differ from its own (FastAPI uses the same)
SWAGGER_DEFAULTS: dict[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}
SWAGGER_INIT = """\
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  var config = JSON.parse(node.getAttribute("data-config"));
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.ui = SwaggerUIBundle(config);
})();
"""


@dataclass(frozen=True)
class DocsAssets:
    """Where the pages load Swagger UI and ReDoc from."""

    swagger_js: str
    swagger_css: str
    redoc_js: str
    #: name -> file, for the assets the app serves itself ("local")
    files: Mapping[str, Path]

    @property
    def origins(self) -> list[str]:
        """The origins the assets come from, for the pages' Content-Security-Policy."""
        found = ["'self'"]
        for url in (self.swagger_js, self.swagger_css, self.redoc_js):
            parts = urlsplit(url)
            if parts.scheme and f"{parts.scheme}://{parts.netloc}" not in found:
                found.append(f"{parts.scheme}://{parts.netloc}")
        return found


def _package_dir(name: str) -> Path | None:
    """An installed package's directory, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _swagger_dir() -> Path | None:
    bundle = _package_dir("swagger_ui_bundle")
    if bundle is not None:
        versions = sorted(bundle.glob("vendor/swagger-ui-5.*"))
        if versions and (versions[-1] / "swagger-ui-bundle.js").is_file():
            return versions[-1]
    sidecar = _package_dir("drf_spectacular_sidecar")
    if sidecar is not None:
        found = sidecar / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist"
        if (found / "swagger-ui-bundle.js").is_file():
            return found
    return None


def _redoc_file() -> Path | None:
    sidecar = _package_dir("drf_spectacular_sidecar")
    if sidecar is not None:
        found = sidecar / "static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
        if found.is_file():
            return found
    return None


def resolve_assets(mode: str, docs_url: str | None, redoc_url: str | None) -> DocsAssets:
    """The assets for ``mode`` ("cdn" or "local"); refuses "local" without the packages."""
    if mode == "cdn":
        return DocsAssets(
            f"{SWAGGER_CDN}/swagger-ui-bundle.js",
            f"{SWAGGER_CDN}/swagger-ui.css",
            f"{REDOC_CDN}/redoc.standalone.js",
            {},
        )
    if mode != "local":
        raise ConfigurationError(f"docs_assets must be 'cdn' or 'local', not {mode!r}")
    files: dict[str, Path] = {}
    swagger_js = swagger_css = redoc_js = ""
    if docs_url is not None:
        folder = _swagger_dir()
        if folder is None:
            raise ConfigurationError(
                "docs_assets='local' serves Swagger UI from an installed package: "
                "pip install 'covet-http[docs]' (swagger-ui-bundle-v2), or pass docs_url=None"
            )
        files["swagger-ui-bundle.js"] = folder / "swagger-ui-bundle.js"
        files["swagger-ui.css"] = folder / "swagger-ui.css"
        swagger_js = f"{docs_url}/assets/swagger-ui-bundle.js"
        swagger_css = f"{docs_url}/assets/swagger-ui.css"
    if redoc_url is not None:
        redoc = _redoc_file()
        if redoc is None:
            raise ConfigurationError(
                "docs_assets='local' serves ReDoc from an installed package: "
                "pip install drf-spectacular-sidecar (it ships ReDoc's bundle; covet never "
                "imports it or Django), or pass redoc_url=None"
            )
        files["redoc.standalone.js"] = redoc
        redoc_js = f"{redoc_url}/assets/redoc.standalone.js"
    return DocsAssets(swagger_js, swagger_css, redoc_js, files)


def content_security_policy(assets: DocsAssets, servers: Sequence[Mapping[str, Any]]) -> str:
    """The docs pages' policy: their assets, the document, and the API's servers to try."""
    sources = " ".join(assets.origins)
    connect = ["'self'"]
    for server in servers:
        url = re.sub(r"\{[^{}]*\}", "*", str(server.get("url", "")))  # {tenant}.example.org
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            connect.append(f"{parts.scheme}://{parts.netloc}")
        elif not parts.scheme and parts.netloc:  # //api.example.org: on the page's scheme
            connect.append(parts.netloc)
        else:
            continue
        if "*" in connect[-1] and not re.search(r"(^|//)\*\.[^*]+$", connect[-1]):
            connect.pop()  # CSP allows a wildcard only as the first label
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {sources}",
            # Swagger UI sets style attributes, ReDoc injects <style> elements
            f"style-src {sources} 'unsafe-inline'",
            "img-src 'self' data: https:",
            f"font-src {sources} data:",
            f"connect-src {' '.join(connect)}",
            "worker-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def swagger_ui_page(
    *,
    title: str,
    openapi_url: str,
    init_url: str,
    assets: DocsAssets,
    parameters: Mapping[str, Any],
) -> str:
    config = {**SWAGGER_DEFAULTS, **parameters, "url": openapi_url}
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} - Swagger UI</title>\n"
        f'<link rel="stylesheet" href="{html.escape(assets.swagger_css)}">\n'
        "</head>\n<body>\n"
        f'<div id="swagger-ui" data-config="{html.escape(json.dumps(config))}"></div>\n'
        f'<script src="{html.escape(assets.swagger_js)}"></script>\n'
        f'<script src="{html.escape(init_url)}"></script>\n'
        "</body>\n</html>\n"
    )


def redoc_page(*, title: str, openapi_url: str, assets: DocsAssets) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} - ReDoc</title>\n"
        "</head>\n<body>\n"
        f'<redoc spec-url="{html.escape(openapi_url)}"></redoc>\n'
        f'<script src="{html.escape(assets.redoc_js)}"></script>\n'
        "</body>\n</html>\n"
    )
