"""Repository-wide pytest set-up.

Hypothesis explores new random inputs on every local run (that is how it finds bugs); on CI
(``CI=true``) it is derandomized, so a given commit passes or fails the same way every time and a
newly found counterexample shows up on a developer's machine rather than as a flaky CI run.

Every OpenAPI document the suite builds (and every copy served below a root path) is checked
against the OpenAPI 3.1 specification.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")


@pytest.fixture(autouse=True, scope="session")
def _every_openapi_document_validates() -> Iterator[None]:
    """Every OpenAPI document a test (or a docs snippet) builds must be valid OpenAPI 3.1."""
    try:
        from openapi_spec_validator import OpenAPIV31SpecValidator

        from covet.http._openapi import _setup
        from covet.http._openapi._document import DocumentBuilder
    except ImportError:  # a package tested alone, without covet-http or the validator
        yield
        return
    build = DocumentBuilder.build
    served = _setup.served_document

    def validated(self: DocumentBuilder) -> dict[str, Any]:
        document = build(self)
        OpenAPIV31SpecValidator(document).validate()
        return document

    def validated_served(app: Any, root: str) -> dict[str, Any]:  # a copy below a root path
        document = served(app, root)
        OpenAPIV31SpecValidator(document).validate()
        return document

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DocumentBuilder, "build", validated)
        patch.setattr(_setup, "served_document", validated_served)
        yield
