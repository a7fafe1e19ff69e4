import importlib
import inspect
import pkgutil

import covet.auth

# public-looking helpers that stay internal on purpose
INTERNAL = {
    "TokenCodec",
    "algorithm_family",
    "default_schemes",
    "failure_from_pyjwt",
    "ttl_until",
    # the OpenAPI hooks, reached through __covet_openapi__
    "guard_security",
    "logout_endpoint",
    "middleware_schemes",
    "refresh_endpoint",
    "token_endpoint",
}


def test_version_matches_about() -> None:
    from covet.auth.__about__ import __version__

    assert covet.auth.__version__ == __version__
    assert covet.auth.__all__ == sorted(covet.auth.__all__)


def test_all_is_complete() -> None:
    exported = set(covet.auth.__all__)
    for name in exported:
        assert hasattr(covet.auth, name), name
    for info in pkgutil.iter_modules(covet.auth.__path__):
        if not info.name.startswith("_") or info.name.startswith("__"):
            continue
        module = importlib.import_module(f"covet.auth.{info.name}")
        for name, value in vars(module).items():
            if name.startswith("_") or name in INTERNAL:
                continue
            if (inspect.isclass(value) or inspect.isfunction(value)) and (
                value.__module__ == module.__name__
            ):
                assert name in exported, f"covet.auth.{info.name}.{name} is not in __all__"
