"""StaticFiles: serve a directory safely, reusing FileResponse for ETag, 304 and ranges."""

from __future__ import annotations

import importlib.resources
import os
import stat
from collections.abc import Sequence
from urllib.parse import quote

import anyio.to_thread

from covet.http._datastructures import route_path
from covet.http._exceptions import ConfigurationError
from covet.http._fileresponse import FileResponse
from covet.http._json import json_dumps
from covet.http._responses import RedirectResponse, Response
from covet.http._types import Message, Receive, Scope, Send

__all__ = ["StaticFiles"]


def _problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json_dumps(body), status, headers, media_type="application/problem+json")


def _slash_location(scope: Scope) -> str:
    """``./name/``: relative, so neither the Host header nor a ``//`` path can redirect away."""
    location = "./" + quote(scope["path"].rpartition("/")[2], safe="") + "/"
    query = scope.get("query_string", b"")
    return f"{location}?{query.decode('latin-1')}" if query else location


class StaticFiles:
    """An ASGI app serving files under ``directory`` and the ``statics`` folders of ``packages``.

    ``packages=["bootstrap4", ("myapp", "assets")]`` adds each package's ``statics`` directory
    (or the one named); a file is looked for in ``directory`` first, then in the packages, in
    order. Requests can never reach outside these directories: ``..`` segments, absolute paths
    and (unless ``follow_symlink=True``) symlinks that lead out are answered with 404. With
    ``html=True``, ``/docs/`` serves ``docs/index.html``, ``/docs`` redirects to ``/docs/``,
    and a ``404.html`` at the top is used for missing files.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        packages: Sequence[str | tuple[str, str]] | None = None,
        html: bool = False,
        check_dir: bool = True,
        follow_symlink: bool = False,
    ) -> None:
        if directory is None and not packages:
            raise ConfigurationError("StaticFiles needs a directory, packages=[...], or both")
        self.directories = [os.path.realpath(os.fspath(directory))] if directory else []
        self.directories += [_package_directory(package) for package in packages or ()]
        self.directory = self.directories[0]
        self.html = html
        self.follow_symlink = follow_symlink
        if check_dir and directory is not None and not os.path.isdir(self.directory):
            raise ConfigurationError(
                f"StaticFiles directory {os.fspath(directory)!r} does not exist"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # a handshake to a file: there is nothing to accept
            await send({"type": "websocket.close", "code": 1008, "reason": "not a websocket"})
            return
        if scope["type"] != "http":
            return
        response = await self.get_response(route_path(scope), scope)
        if not isinstance(response, FileResponse):
            await response(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await response(scope, receive, tracking_send)
        except (OSError, RuntimeError) as exc:
            # Deleted or made unreadable after the stat: nothing was sent yet, so say 404.
            gone = isinstance(exc, OSError) or isinstance(exc.__cause__, OSError)
            if started or not gone:
                raise
            await _problem(404, "Not Found", "no such file")(scope, receive, send)

    def resolve(self, path: str, directory: str | None = None) -> str | None:
        """The file system path for a URL path below ``directory`` (the first one by default),
        or None when it would leave that directory."""
        directory = directory or self.directory
        parts = []
        for part in path.split("/"):
            if part in ("", "."):
                continue
            if part == ".." or "\\" in part or "\x00" in part or os.sep in part:
                return None
            parts.append(part)
        candidate = os.path.join(directory, *parts)
        full = os.path.abspath(candidate) if self.follow_symlink else os.path.realpath(candidate)
        if full != directory and not full.startswith(directory + os.sep):
            return None
        return full

    def _lookup(self, path: str) -> tuple[str | None, os.stat_result | None]:
        """The first directory's file (or directory) at ``path``, with its stat."""
        found: str | None = None
        for directory in self.directories:
            full = self.resolve(path, directory)
            if full is None:
                continue
            try:
                return full, os.stat(full)
            except (FileNotFoundError, NotADirectoryError, PermissionError):
                found = found or full
            except OSError:  # e.g. a name too long: still just "not here"
                continue
        return found, None

    async def get_response(self, path: str, scope: Scope) -> Response:
        if scope["method"] not in ("GET", "HEAD"):
            return _problem(
                405,
                "Method Not Allowed",
                "static files answer GET and HEAD",
                {"Allow": "GET, HEAD"},
            )
        full, st = await anyio.to_thread.run_sync(self._lookup, path)
        if st is not None and full is not None:
            if stat.S_ISREG(st.st_mode) and not path.endswith("/"):
                return FileResponse(full, stat_result=st)
            if stat.S_ISDIR(st.st_mode) and self.html:
                index, index_st = await anyio.to_thread.run_sync(
                    self._lookup, path.rstrip("/") + "/index.html"
                )
                if index is not None and index_st is not None and stat.S_ISREG(index_st.st_mode):
                    if not scope["path"].endswith("/"):
                        return RedirectResponse(_slash_location(scope), 307)
                    return FileResponse(index, stat_result=index_st)
        if self.html:
            page, page_st = await anyio.to_thread.run_sync(self._lookup, "/404.html")
            if page is not None and page_st is not None and stat.S_ISREG(page_st.st_mode):
                return FileResponse(page, status_code=404, stat_result=page_st)
        return _problem(404, "Not Found", "no such file")

    def __repr__(self) -> str:
        return f"StaticFiles(directory={self.directory!r}, html={self.html!r})"


def _package_directory(package: str | tuple[str, str]) -> str:
    """The real directory of ``package``'s ``statics`` folder (or the folder named with it)."""
    name, folder = (package, "statics") if isinstance(package, str) else package
    try:
        root = importlib.resources.files(name)
    except (ModuleNotFoundError, TypeError) as exc:
        raise ConfigurationError(f"StaticFiles: cannot import package {name!r}: {exc}") from None
    directory = os.path.realpath(os.fspath(str(root / folder)))
    if not os.path.isdir(directory):
        raise ConfigurationError(
            f"StaticFiles: package {name!r} has no {folder!r} directory ({directory}); "
            "the files must be installed as files, not inside a zip"
        )
    return directory
