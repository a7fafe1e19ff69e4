"""Property tests: whatever bytes arrive, verification refuses them with AuthenticationFailed."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covet.auth import AuthenticationFailed, JWTAuth, JWTKey

VERIFIERS = {
    alg: JWTAuth(keys=[JWTKey.generate(alg, kid="k")])
    for alg in ("HS256", "RS256", "ES256", "EdDSA")
}
B64 = st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))


def refused(auth: JWTAuth, token: str) -> None:
    try:
        auth.decode(token)
    except AuthenticationFailed:
        return
    raise AssertionError(f"accepted {token!r}")


@pytest.mark.parametrize("alg", sorted(VERIFIERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=400))
def test_arbitrary_text_is_refused(alg: str, text: str) -> None:
    refused(VERIFIERS[alg], text)


@pytest.mark.parametrize("alg", sorted(VERIFIERS))
@settings(max_examples=150, deadline=None)
@given(signature=B64, payload=st.one_of(st.none(), B64))
def test_valid_header_with_garbage_payload_or_signature_is_refused(
    alg: str, signature: str, payload: str | None
) -> None:
    auth = VERIFIERS[alg]
    header, body, _ = auth.create_access_token("fuzz").split(".")
    refused(auth, f"{header}.{payload if payload is not None else body}.{signature}")
