"""A multi-user bookmarks API built from every CovetPy package, using only their documented APIs.

Run it::

    BOOKMARKS_DATABASE_URL=sqlite:///bookmarks.db BOOKMARKS_SECRET=... \\
        uvicorn app:create_app --factory --no-proxy-headers --app-dir examples/fullstack

Endpoints (every error is ``application/problem+json``):

- ``POST /auth/signup`` (public): ``{"username", "password", "email"?}`` -> 201
- ``POST /auth/token``, ``/auth/refresh``, ``/auth/logout``: covet.auth's ready router
  (login is rate limited per client address, and throttled per account)
- ``GET/POST /bookmarks``, ``GET/PATCH/DELETE /bookmarks/{id}`` (bearer token): a user sees and
  changes only their own bookmarks; anyone else's answer 404, as if they did not exist.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
from collections.abc import AsyncIterator
from typing import Annotated, Any

from covet.auth import (
    AuthenticationMiddleware,
    CurrentUser,
    JWTAuth,
    LoginThrottle,
    PasswordHasher,
    PasswordTooLong,
    login_required,
)
from covet.auth.orm import AbstractUser, orm_auth_router, orm_user_loader
from covet.http import Constraints, Covet, HTTPException, Request, Router
from covet.middleware import (
    CompressionMiddleware,
    CORSMiddleware,
    ErrorMiddleware,
    MemoryStore,
    ProxyHeadersMiddleware,
    RateLimit,
    RateLimitMiddleware,
    RequestIDMiddleware,
    SecurityHeadersMiddleware,
)
from covet.orm import (
    CharField,
    Database,
    DateTimeField,
    IntegerField,
    JSONField,
    Model,
    ModelSchema,
    TextField,
    URLField,
)

DEFAULT_DATABASE_URL = "sqlite:///bookmarks.db"
DEFAULT_ORIGIN = "https://app.example.com"
# The request rules below are checked before a handler runs (422) and published in the OpenAPI
# document (/docs), so clients see them; they match what the models' full_clean() accepts.
Username = Annotated[str, Constraints(pattern=r"^[A-Za-z0-9_.-]{1,150}$")]  # no spaces or NUL
# 8 characters or more, and at most 1024 bytes in UTF-8 (the password hasher's limit)
Password = Annotated[str, Constraints(min_length=8, max_length=256)]
URL = Annotated[
    str,
    Constraints(
        max_length=2000,
        pattern=r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[!-~]*)?$",
    ),
]
Title = Annotated[str, Constraints(max_length=200)]
NOT_FOUND = {404: "No bookmark with this id among yours"}


class User(AbstractUser):
    """covet.auth's user table; models without ``Meta.db`` use the app's (default) database."""

    class Meta:
        table_name = "bookmark_users"


class Bookmark(Model):
    owner_id = IntegerField(index=True)
    url = URLField(max_length=2000)
    title = CharField(max_length=200)
    notes = TextField(default="")
    tags = JSONField(default=list)
    visits = IntegerField(default=0)
    created = DateTimeField(auto_now_add=True)
    updated = DateTimeField(auto_now=True)

    class Meta:
        table_name = "bookmarks"
        ordering = ["id"]


# What responses may hold (response_model=): whatever a handler returns, other fields never reach
# the client -- the user's password hash, a bookmark's owner. Documented in /docs as well.
class UserOut(ModelSchema, model=User, include=["id", "username"]):
    """A user as others may see them."""


class BookmarkOut(ModelSchema, model=Bookmark, exclude=["owner_id"]):
    """A bookmark as its owner sees it."""


@dataclasses.dataclass
class SignUp:
    username: Username
    password: Password
    email: Annotated[str, Constraints(max_length=254)] = ""


@dataclasses.dataclass
class NewBookmark:
    url: URL
    title: Title
    notes: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class BookmarkChanges:
    url: URL | None = None
    title: Title | None = None
    notes: str | None = None
    tags: list[str] | None = None


def _owner(user: Any) -> int:
    return int(user.pk)


async def _own_bookmark(user: Any, bookmark_id: int) -> Bookmark:
    """The caller's bookmark, or 404 -- also for someone else's (existence is not revealed).
    An id no 64-bit column holds matches no row: covet.orm never sends it to the database."""
    found = await Bookmark.objects.filter(pk=bookmark_id, owner_id=_owner(user)).afirst()
    if found is None:
        raise HTTPException(404, f"Bookmark {bookmark_id} does not exist")
    return found


bookmarks = Router()


@bookmarks.get("/bookmarks", response_model=list[BookmarkOut])
def list_bookmarks(user: CurrentUser, q: str = "") -> Any:
    # a `def` handler runs in a worker thread, where the ORM's blocking API is the right one; the
    # QuerySet it returns is read when the response is written
    query = Bookmark.objects.filter(owner_id=_owner(user))
    if q:
        query = query.filter(title__icontains=q)
    return query


@bookmarks.post("/bookmarks", status_code=201, response_model=BookmarkOut)
async def create_bookmark(user: CurrentUser, data: NewBookmark) -> Any:
    bookmark = Bookmark(owner_id=_owner(user), **dataclasses.asdict(data))
    bookmark.full_clean()
    await bookmark.asave()
    return bookmark, 201, {"Location": f"/bookmarks/{bookmark.pk}"}


@bookmarks.get("/bookmarks/{bookmark_id:int}", responses=NOT_FOUND, response_model=BookmarkOut)
async def read_bookmark(user: CurrentUser, bookmark_id: int) -> Bookmark:
    return await _own_bookmark(user, bookmark_id)


async def _locked_update(
    request: Request, user: Any, bookmark_id: int, *, bump: bool = False, **fields: Any
) -> Bookmark:
    db: Database = request.state.db
    async with db.transaction():
        # FOR UPDATE on PostgreSQL and MariaDB; on SQLite the transaction's BEGIN IMMEDIATE
        # already serialises writers
        locked = (
            await Bookmark.objects.select_for_update()
            .filter(pk=bookmark_id, owner_id=_owner(user))
            .afirst()
        )
        if locked is None:
            raise HTTPException(404, f"Bookmark {bookmark_id} does not exist")
        for name, value in fields.items():
            setattr(locked, name, value)
        if bump:
            locked.visits += 1
        locked.full_clean()
        await locked.asave()
    return locked


@bookmarks.patch("/bookmarks/{bookmark_id:int}", responses=NOT_FOUND, response_model=BookmarkOut)
async def update_bookmark(
    user: CurrentUser, bookmark_id: int, changes: BookmarkChanges, request: Request
) -> Bookmark:
    fields = {k: v for k, v in dataclasses.asdict(changes).items() if v is not None}
    return await _locked_update(request, user, bookmark_id, **fields)


@bookmarks.post(
    "/bookmarks/{bookmark_id:int}/visit", responses=NOT_FOUND, response_model=BookmarkOut
)
async def visit_bookmark(user: CurrentUser, bookmark_id: int, request: Request) -> Bookmark:
    # read-modify-write of a counter: without the row lock, concurrent visits would be lost
    return await _locked_update(request, user, bookmark_id, bump=True)


@bookmarks.delete("/bookmarks/{bookmark_id:int}", status_code=204, responses=NOT_FOUND)
async def delete_bookmark(user: CurrentUser, bookmark_id: int) -> None:
    await (await _own_bookmark(user, bookmark_id)).adelete()


def create_app(
    database_url: str | None = None,
    *,
    secret: str | None = None,
    allowed_origin: str | None = None,
    login_rate: tuple[int, int] = (10, 60),
    lockout_delay: float = 1.0,
    trusted_proxies: list[str] | None = None,
    password_hasher: PasswordHasher | None = None,
) -> Covet:
    """Build the app. Unset arguments come from the environment (``BOOKMARKS_*``)."""
    url = database_url or os.environ.get("BOOKMARKS_DATABASE_URL", DEFAULT_DATABASE_URL)
    secret = secret or os.environ.get("BOOKMARKS_SECRET") or secrets.token_urlsafe(64)
    origin = allowed_origin or os.environ.get("BOOKMARKS_ALLOWED_ORIGIN", DEFAULT_ORIGIN)
    if password_hasher is None and os.environ.get("BOOKMARKS_TEST_HASHER") == "1":
        password_hasher = PasswordHasher.for_testing()
    User.password_hasher = password_hasher  # None: the production PasswordHasher()

    db = Database(url, default=True)
    store = MemoryStore()  # RedisStore(...) when several workers must share revocations
    backend = JWTAuth(secret=secret, store=store)

    @contextlib.asynccontextmanager
    async def lifespan(app: Covet) -> AsyncIterator[dict[str, Any]]:
        await db.acreate_tables([User, Bookmark])  # IF NOT EXISTS: safe on every start
        try:
            yield {"db": db}  # request.state.db
        finally:
            await db.aclose()

    app = Covet(title="Bookmarks", version="1.0", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(
        "/auth/signup",
        status_code=201,
        responses={409: "The username is taken"},
        response_model=UserOut,
    )
    async def signup(data: SignUp) -> Any:
        user = User(username=data.username, email=data.email, scopes=["bookmarks"])
        try:
            user.set_password(data.password)
        except PasswordTooLong as exc:
            raise HTTPException(422, f"The password is longer than {exc.limit} bytes") from exc
        user.full_clean()  # ValidationError: 422 naming each field
        await user.asave()  # a taken username violates its unique constraint: 409, race-free
        return user, 201  # UserOut: the id and username, never the password hash

    app.include_router(
        orm_auth_router(backend, User, throttle=LoginThrottle(store, base_delay=lockout_delay)),
        prefix="/auth",
    )
    app.include_router(bookmarks, dependencies=[login_required])

    # docs/middleware.md's recommended order; the last one added is the outermost
    app.add_middleware(AuthenticationMiddleware, backend=backend, user_loader=orm_user_loader(User))
    app.add_middleware(CompressionMiddleware)
    limit, window = login_rate
    app.add_middleware(
        RateLimitMiddleware,
        limits=[RateLimit(limit, window, paths=["/auth/token"], methods=["POST"])],
        store=store,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[origin],
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["authorization", "content-type"],
        expose_headers=["location", "x-request-id"],
    )
    app.add_middleware(ErrorMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)  # outside ErrorMiddleware: its 500 gets them
    app.add_middleware(RequestIDMiddleware)
    proxies = trusted_proxies or os.environ.get("BOOKMARKS_TRUSTED_PROXIES", "127.0.0.1").split(",")
    app.add_middleware(ProxyHeadersMiddleware, trusted_proxies=proxies)
    return app
