"""A corpus of malicious and malformed tokens: each is refused for its own reason.

Tokens are forged by hand (raw base64url + hmac) or with PyJWT where PyJWT is willing to produce
them, against an HS256 verifier and an RS256 verifier that share the clock ``T0``. Every case
asserts the exact :class:`FailureReason`, and valid controls prove the setup accepts good tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from covet.auth import AuthenticationFailed, FailureReason, JWTAuth, JWTKey, KeyRing

R = FailureReason
T0 = 1_800_000_000
LEEWAY = 10
ISS = "https://issuer.example"
AUD = "api"
SECRET = b"k" * 24 + b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"  # 70 bytes
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_PUBLIC_PEM = RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
RSA_PUBLIC_SSH = RSA_KEY.public_key().public_bytes(
    serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
)
RSA_PUBLIC_JWK = json.dumps(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key(), as_dict=True))


def clock() -> float:
    return float(T0)


HS = JWTAuth(
    keys=[JWTKey.hmac(SECRET, kid="hs-1")],
    issuer=ISS,
    audience=AUD,
    leeway=LEEWAY,
    clock=clock,
)
HS_RING = JWTAuth(
    keys=KeyRing(
        [JWTKey.hmac(SECRET, kid="hs-1"), JWTKey.hmac(SECRET[::-1], kid="hs-2")], signing_kid="hs-1"
    ),
    issuer=ISS,
    audience=AUD,
    leeway=LEEWAY,
    clock=clock,
)
RS = JWTAuth(
    keys=[JWTKey.from_key(RSA_KEY, alg="RS256", kid="rs-1")],
    issuer=ISS,
    audience=AUD,
    leeway=LEEWAY,
    clock=clock,
)


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def claims(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sub": "alice",
        "type": "access",
        "jti": "0123456789abcdef",
        "iat": T0,
        "nbf": T0,
        "exp": T0 + 600,
        "iss": ISS,
        "aud": AUD,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not _DROP}


_DROP = object()


def hs_raw(header: dict[str, Any], payload: Any, secret: bytes = SECRET) -> str:
    """Sign anything with HMAC-SHA256, bypassing every check PyJWT makes on encode."""
    signing_input = f"{b64(json.dumps(header))}.{b64(json.dumps(payload))}"
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def hs(payload: dict[str, Any] | None = None, **header: Any) -> str:
    head = {"alg": "HS256", "typ": "JWT", "kid": "hs-1", **header}
    return hs_raw({k: v for k, v in head.items() if v is not _DROP}, payload or claims())


def rs(payload: dict[str, Any] | None = None, key: Any = RSA_KEY, **header: Any) -> str:
    return jwt.encode(
        payload or claims(), key, algorithm="RS256", headers={"kid": "rs-1", **header}
    )


def unsigned(alg: str, signature: str = "") -> str:
    head = b64(json.dumps({"alg": alg, "typ": "JWT", "kid": "hs-1"}))
    return f"{head}.{b64(json.dumps(claims()))}.{signature}"


def with_segment(token: str, index: int, value: str) -> str:
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def duplicate_alg_header() -> str:
    head = '{"alg":"HS256","kid":"hs-1","alg":"none"}'
    signing_input = f"{b64(head)}.{b64(json.dumps(claims()))}"
    sig = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


Case = tuple[str, JWTAuth, Callable[[], str], FailureReason]

CORPUS: list[Case] = [
    # alg none, in every capitalisation, with and without a signature
    ("alg-none", HS, lambda: unsigned("none"), R.ALG_NONE),
    ("alg-None", HS, lambda: unsigned("None"), R.ALG_NONE),
    ("alg-NONE", HS, lambda: unsigned("NONE"), R.ALG_NONE),
    ("alg-nOnE", HS, lambda: unsigned("nOnE"), R.ALG_NONE),
    ("alg-NoNe-padded", HS, lambda: unsigned(" NoNe "), R.ALG_NONE),
    ("alg-none-with-signature", HS, lambda: unsigned("none", b64(b"x" * 32)), R.ALG_NONE),
    ("alg-none-on-rsa-verifier", RS, lambda: unsigned("none"), R.ALG_NONE),
    # algorithm confusion
    (
        "hs256-signed-with-rsa-public-pem",
        RS,
        lambda: hs_raw({"alg": "HS256", "kid": "rs-1"}, claims(), RSA_PUBLIC_PEM),
        R.ALGORITHM_MISMATCH,
    ),
    (
        "hs256-signed-with-jwk-as-secret",
        RS,
        lambda: hs_raw({"alg": "HS256", "kid": "rs-1"}, claims(), RSA_PUBLIC_JWK.encode()),
        R.ALGORITHM_MISMATCH,
    ),
    (
        "hs256-signed-with-ssh-key-as-secret",
        RS,
        lambda: hs_raw({"alg": "HS256", "kid": "rs-1"}, claims(), RSA_PUBLIC_SSH),
        R.ALGORITHM_MISMATCH,
    ),
    (
        "jwk-as-secret-on-hmac-verifier",
        HS,
        lambda: hs_raw({"alg": "HS256", "kid": "hs-1"}, claims(), RSA_PUBLIC_JWK.encode()),
        R.INVALID_SIGNATURE,
    ),
    ("rs256-on-hmac-kid", HS, lambda: rs(kid="hs-1", key=ATTACKER_RSA), R.ALGORITHM_MISMATCH),
    ("hs512-on-hs256-key", HS, lambda: hs(alg="HS512"), R.ALGORITHM_MISMATCH),
    (
        "ps256-on-rs256-key",
        RS,
        lambda: with_segment(rs(), 0, b64('{"alg":"PS256","kid":"rs-1"}')),
        R.ALGORITHM_MISMATCH,
    ),
    # signatures
    (
        "wrong-hmac-secret",
        HS,
        lambda: hs_raw({"alg": "HS256", "kid": "hs-1"}, claims(), b"x" * 64),
        R.INVALID_SIGNATURE,
    ),
    ("rs256-signed-by-attacker", RS, lambda: rs(key=ATTACKER_RSA), R.INVALID_SIGNATURE),
    (
        "payload-swapped-after-signing",
        HS,
        lambda: with_segment(hs(), 1, b64(json.dumps(claims(sub="admin")))),
        R.INVALID_SIGNATURE,
    ),
    ("truncated-signature", HS, lambda: hs()[:-11], R.INVALID_SIGNATURE),
    ("truncated-to-bad-padding", HS, lambda: hs()[:-8], R.MALFORMED),
    ("empty-signature", HS, lambda: with_segment(hs(), 2, ""), R.INVALID_SIGNATURE),
    # required claims
    ("missing-exp", HS, lambda: hs(claims(exp=_DROP)), R.MISSING_CLAIM),
    ("null-exp", HS, lambda: hs(claims(exp=None)), R.MISSING_CLAIM),
    ("missing-iat", HS, lambda: hs(claims(iat=_DROP)), R.MISSING_CLAIM),
    ("missing-sub", HS, lambda: hs(claims(sub=_DROP)), R.MISSING_CLAIM),
    ("missing-jti", HS, lambda: hs(claims(jti=_DROP)), R.MISSING_CLAIM),
    ("missing-type", HS, lambda: hs(claims(type=_DROP)), R.MISSING_CLAIM),
    ("missing-iss", HS, lambda: hs(claims(iss=_DROP)), R.MISSING_CLAIM),
    ("missing-aud", HS, lambda: hs(claims(aud=_DROP)), R.MISSING_CLAIM),
    # time
    ("expired-1s-beyond-leeway", HS, lambda: hs(claims(exp=T0 - LEEWAY - 1)), R.EXPIRED),
    (
        "expired-long-ago",
        RS,
        lambda: rs(claims(iat=T0 - 9999, nbf=T0 - 9999, exp=T0 - 3600)),
        R.EXPIRED,
    ),
    ("nbf-in-future", HS, lambda: hs(claims(nbf=T0 + LEEWAY + 1)), R.NOT_YET_VALID),
    ("iat-in-future", HS, lambda: hs(claims(iat=T0 + LEEWAY + 1, nbf=T0)), R.ISSUED_IN_FUTURE),
    ("exp-as-string", HS, lambda: hs(claims(exp=str(T0 + 600))), R.INVALID_CLAIM),
    ("exp-as-bool", HS, lambda: hs(claims(exp=True)), R.INVALID_CLAIM),
    ("nbf-as-string", HS, lambda: hs(claims(nbf="soon")), R.INVALID_CLAIM),
    ("exp-huge-integer", HS, lambda: hs(claims(exp=10**400)), R.INVALID_CLAIM),
    (
        "iat-float-infinity",
        HS,
        lambda: hs_raw({"alg": "HS256", "kid": "hs-1"}, claims(iat=float("inf"))),
        R.INVALID_CLAIM,
    ),
    # issuer and audience
    ("issuer-substring", HS, lambda: hs(claims(iss=ISS[:-1])), R.INVALID_ISSUER),
    ("issuer-superstring", HS, lambda: hs(claims(iss=ISS + ".evil")), R.INVALID_ISSUER),
    ("issuer-as-list", HS, lambda: hs(claims(iss=[ISS])), R.INVALID_ISSUER),
    ("wrong-audience", HS, lambda: hs(claims(aud="other-api")), R.INVALID_AUDIENCE),
    ("audience-substring", HS, lambda: hs(claims(aud="ap")), R.INVALID_AUDIENCE),
    ("audience-list-without-ours", HS, lambda: hs(claims(aud=["web", "apix"])), R.INVALID_AUDIENCE),
    ("audience-list-with-non-string", HS, lambda: hs(claims(aud=[AUD, 7])), R.INVALID_AUDIENCE),
    # header policy
    ("unknown-crit", HS, lambda: hs(crit=["https://example.com/ext"]), R.UNSUPPORTED_CRIT),
    ("crit-b64", HS, lambda: hs(crit=["b64"]), R.UNSUPPORTED_CRIT),
    ("b64-false", HS, lambda: hs(b64=False, crit=["b64"]), R.FORBIDDEN_HEADER),
    ("jku-header", HS, lambda: hs(jku="https://evil.example/jwks.json"), R.FORBIDDEN_HEADER),
    ("x5u-header", RS, lambda: rs(x5u="https://evil.example/cert.pem"), R.FORBIDDEN_HEADER),
    (
        "embedded-jwk",
        RS,
        lambda: rs(
            key=ATTACKER_RSA,
            jwk=json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ATTACKER_RSA.public_key())),
        ),
        R.FORBIDDEN_HEADER,
    ),
    ("x5c-header", RS, lambda: rs(x5c=["MIIB"]), R.FORBIDDEN_HEADER),
    ("unknown-kid", HS, lambda: hs(kid="hs-2"), R.UNKNOWN_KID),
    ("kid-path-traversal", HS, lambda: hs(kid="../../../dev/null"), R.UNKNOWN_KID),
    ("missing-kid-with-several-keys", HS_RING, lambda: hs(kid=_DROP), R.MISSING_KID),
    (
        "missing-kid-hs256-signed-with-rsa-public-pem",
        RS,
        lambda: hs_raw({"alg": "HS256"}, claims(), RSA_PUBLIC_PEM),
        R.ALGORITHM_MISMATCH,
    ),
    ("missing-kid-other-hmac-alg", HS, lambda: hs(kid=_DROP, alg="HS512"), R.ALGORITHM_MISMATCH),
    (
        "missing-kid-wrong-secret",
        HS,
        lambda: hs_raw({"alg": "HS256"}, claims(), b"x" * 64),
        R.INVALID_SIGNATURE,
    ),
    (
        "missing-kid-alg-none",
        HS,
        lambda: with_segment(unsigned("none"), 0, b64('{"alg":"none"}')),
        R.ALG_NONE,
    ),
    ("kid-not-string", HS, lambda: hs(kid=1), R.INVALID_HEADER),
    ("missing-alg", HS, lambda: hs(alg=_DROP), R.INVALID_HEADER),
    ("typ-jwe", HS, lambda: hs(typ="JWE"), R.INVALID_HEADER),
    ("duplicate-alg-header", HS, duplicate_alg_header, R.INVALID_HEADER),
    # subject, jti, type, scope
    ("sub-integer", HS, lambda: hs(claims(sub=42)), R.INVALID_SUBJECT),
    ("sub-empty", HS, lambda: hs(claims(sub="")), R.INVALID_SUBJECT),
    ("sub-object", HS, lambda: hs(claims(sub={"id": 1})), R.INVALID_SUBJECT),
    ("jti-integer", HS, lambda: hs(claims(jti=7)), R.INVALID_CLAIM),
    ("scope-as-list", HS, lambda: hs(claims(scope=["admin"])), R.INVALID_CLAIM),
    ("refresh-token-as-access", HS, lambda: hs(claims(type="refresh")), R.WRONG_TOKEN_TYPE),
    ("id-token-as-access", HS, lambda: hs(claims(type="id")), R.WRONG_TOKEN_TYPE),
    # structure
    ("two-segments", HS, lambda: hs().rsplit(".", 1)[0], R.MALFORMED),
    ("four-segments", HS, lambda: hs() + ".x", R.MALFORMED),
    ("empty-string", HS, lambda: "", R.MALFORMED),
    ("non-ascii", HS, lambda: with_segment(hs(), 2, "é" * 10), R.MALFORMED),
    ("bad-base64-header", HS, lambda: with_segment(hs(), 0, "!!!!"), R.MALFORMED),
    ("bad-base64-payload", HS, lambda: with_segment(hs(), 1, "%%%%"), R.MALFORMED),
    ("header-not-json", HS, lambda: with_segment(hs(), 0, b64("not json")), R.MALFORMED),
    ("header-json-array", HS, lambda: with_segment(hs(), 0, b64('["HS256"]')), R.MALFORMED),
    ("header-nested-5000-deep", HS, lambda: with_segment(hs(), 0, b64("[" * 5000)), R.MALFORMED),
    (
        "payload-json-array",
        HS,
        lambda: hs_raw({"alg": "HS256", "kid": "hs-1"}, ["sub"]),
        R.MALFORMED,
    ),
    ("huge-header", HS, lambda: hs(pad="A" * 20_000), R.TOKEN_TOO_LARGE),
]


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 40
    assert len({name for name, *_ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(
    ("verifier", "make", "reason"),
    [case[1:] for case in CORPUS],
    ids=[case[0] for case in CORPUS],
)
def test_malicious_token_is_refused_for_its_reason(
    verifier: JWTAuth, make: Callable[[], str], reason: FailureReason
) -> None:
    token = make()
    with pytest.raises(AuthenticationFailed) as info:
        verifier.decode(token)
    assert info.value.reason is reason, info.value.detail


@pytest.mark.parametrize("verifier", [HS, RS], ids=["hs256", "rs256"])
def test_control_tokens_are_accepted(verifier: JWTAuth) -> None:
    forged_by_hand = hs() if verifier is HS else rs()
    for token in (forged_by_hand, verifier.create_access_token("alice")):
        verified = verifier.decode(token)
        assert verified.subject == "alice"
        assert verified.type == "access"


@pytest.mark.parametrize("verifier", [HS, RS], ids=["hs256", "rs256"])
def test_a_token_without_kid_is_verified_by_the_only_key(verifier: JWTAuth) -> None:
    # RFC 7515 makes kid optional; many issuers leave it out
    without_kid = {
        HS: lambda: hs(kid=_DROP),
        RS: lambda: jwt.encode(claims(), RSA_KEY, algorithm="RS256"),
    }
    token = without_kid[verifier]()
    assert "kid" not in jwt.get_unverified_header(token)
    verified = verifier.decode(token)
    assert (verified.subject, verified.kid) == ("alice", "hs-1" if verifier is HS else "rs-1")
    with pytest.raises(AuthenticationFailed) as info:
        HS_RING.decode(hs(kid=_DROP))
    assert info.value.reason is R.MISSING_KID
    assert HS_RING.decode(hs()).subject == "alice"


def test_non_string_token_is_malformed() -> None:
    with pytest.raises(AuthenticationFailed) as info:
        HS.decode(b"abc.def.ghi")  # type: ignore[arg-type]
    assert info.value.reason is R.MALFORMED
