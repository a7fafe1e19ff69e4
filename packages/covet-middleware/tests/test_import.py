import importlib

import covet.middleware

PUBLIC_MODULES = [
    "_compression",
    "_cors",
    "_csrf",
    "_errors",
    "_orm_sessions",
    "_proxy",
    "_ratelimit",
    "_redis_store",
    "_request_id",
    "_security",
    "_session_backends",
    "_sessions",
    "_signing",
    "_stores",
    "_timeout",
]


def test_version_matches_about() -> None:
    from covet.middleware.__about__ import __version__

    assert covet.middleware.__version__ == __version__
    assert covet.middleware.__all__ == sorted(covet.middleware.__all__)


def test_all_is_complete() -> None:
    exported = set(covet.middleware.__all__)
    for name in PUBLIC_MODULES:
        module = importlib.import_module(f"covet.middleware.{name}")
        missing = set(module.__all__) - exported
        assert not missing, f"{name} defines {missing} but covet.middleware does not export it"
    for name in exported:
        assert getattr(covet.middleware, name) is not None
