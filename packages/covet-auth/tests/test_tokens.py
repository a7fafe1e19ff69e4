from __future__ import annotations

import warnings
from datetime import timedelta

import jwt
import pytest

from covet.auth import (
    AuthConfigurationError,
    AuthenticationFailed,
    FailureReason,
    JWTAuth,
    JWTKey,
    KeyRing,
)
from covet.auth._tokens import failure_from_pyjwt

T0 = 1_800_000_000.0
SECRET = "s3cr3t-" * 10


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def reason_of(auth: JWTAuth, token: str, **kwargs: object) -> FailureReason:
    with pytest.raises(AuthenticationFailed) as info:
        auth.decode(token, **kwargs)  # type: ignore[arg-type]
    return info.value.reason


def test_access_token_round_trip_carries_claims_and_scopes() -> None:
    auth = JWTAuth(secret=SECRET, issuer="iss", audience="aud", clock=Clock())
    token = auth.create_access_token(
        "alice", scopes=["read", "write", "read"], claims={"role": "admin"}
    )
    verified = auth.decode(token)
    assert verified.subject == "alice"
    assert verified.scopes == {"read", "write"}
    assert verified.claims["role"] == "admin"
    assert verified.claims["scope"] == "read write"
    assert verified.issued_at == T0
    assert verified.expires_at == T0 + 15 * 60
    assert verified.family is None
    assert jwt.get_unverified_header(token)["kid"] == verified.kid


def test_integer_subject_becomes_a_string() -> None:
    auth = JWTAuth(secret=SECRET, clock=Clock())
    assert auth.decode(auth.create_access_token(42)).subject == "42"


@pytest.mark.parametrize("subject", ["", True, None, 1.5])
def test_bad_subject_is_refused_when_issuing(subject: object) -> None:
    auth = JWTAuth(secret=SECRET)
    with pytest.raises(ValueError, match="subject"):
        auth.create_access_token(subject)  # type: ignore[arg-type]


def test_reserved_claims_cannot_be_overridden() -> None:
    auth = JWTAuth(secret=SECRET)
    with pytest.raises(ValueError, match=r"\['exp', 'sub'\]"):
        auth.create_access_token("a", claims={"sub": "root", "exp": 9, "ok": 1})


@pytest.mark.parametrize(
    "scope", ["", "two words", "read\tadmin", "read\nadmin", "read\u00a0admin", 'say"hi']
)
def test_bad_scopes_are_refused(scope: str) -> None:
    # "read\tadmin" used to be issued as one scope and verified as two (str.split() splits on
    # any whitespace): a scope string taken from a request could smuggle in "admin"
    with pytest.raises(ValueError, match="scopes"):
        JWTAuth(secret=SECRET).create_access_token("a", scopes=[scope])


def test_scope_claim_is_split_on_spaces_only() -> None:
    import jwt as pyjwt

    auth = JWTAuth(secret=SECRET)
    key = auth.keys.signing_key
    assert key is not None
    claims = auth.decode(auth.create_access_token("a")).claims
    forged_elsewhere = {**claims, "scope": "read\tadmin  write"}
    token = pyjwt.encode(
        forged_elsewhere,
        key.signing_key,
        algorithm="HS256",  # type: ignore[arg-type]
        headers={"kid": key.kid},
    )
    assert auth.decode(token).scopes == {"read\tadmin", "write"}


def test_expiry_leeway_is_exact_at_the_boundary() -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, leeway=timedelta(seconds=30), clock=clock)
    token = auth.create_access_token("a", expires_in=60)
    clock.now = T0 + 60 + 30 - 0.001
    assert auth.decode(token).subject == "a"
    clock.now = T0 + 60 + 30
    assert reason_of(auth, token) is FailureReason.EXPIRED


def test_expiry_without_leeway() -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, clock=clock)
    token = auth.create_access_token("a", expires_in=timedelta(seconds=5))
    clock.now = T0 + 4
    auth.decode(token)
    clock.now = T0 + 5
    assert reason_of(auth, token) is FailureReason.EXPIRED


def test_not_before_leeway_is_exact_at_the_boundary() -> None:
    clock = Clock()
    auth = JWTAuth(secret=SECRET, leeway=5, clock=clock)
    token = auth.create_access_token("a")
    clock.now = T0 - 5
    auth.decode(token)
    clock.now = T0 - 5.001
    assert reason_of(auth, token) is FailureReason.NOT_YET_VALID


def test_refresh_token_is_not_an_access_token_and_vice_versa() -> None:
    auth = JWTAuth(secret=SECRET)
    refresh = auth.create_refresh_token("a", scopes=["x"])
    access = auth.create_access_token("a")
    assert reason_of(auth, refresh) is FailureReason.WRONG_TOKEN_TYPE
    assert reason_of(auth, access, expected_type="refresh") is FailureReason.WRONG_TOKEN_TYPE
    verified = auth.decode(refresh, expected_type="refresh")
    assert verified.family is not None
    # iat is the exact issue time; exp (and nbf) count whole seconds from its second
    assert verified.expires_at - int(verified.issued_at) == 14 * 24 * 3600
    assert verified.claims["nbf"] == int(verified.issued_at)


def test_unconfigured_audience_refuses_tokens_that_name_one() -> None:
    issuer = JWTAuth(secret=SECRET, audience="other")
    verifier = JWTAuth(secret=SECRET)
    assert reason_of(verifier, issuer.create_access_token("a")) is FailureReason.INVALID_AUDIENCE


def test_audience_list_containing_ours_is_accepted() -> None:
    auth = JWTAuth(secret=SECRET, audience="api")
    key = auth.keys.signing_key
    assert key is not None
    assert isinstance(key.signing_key, bytes)
    token = jwt.encode(
        {"sub": "a", "type": "access", "jti": "j", "iat": 1, "exp": 2**40, "aud": ["web", "api"]},
        key.signing_key,
        algorithm="HS256",
        headers={"kid": key.kid},
    )
    assert auth.decode(token).subject == "a"


@pytest.mark.parametrize("alg", ["HS384", "HS512", "RS256", "PS256", "ES256", "ES384", "EdDSA"])
def test_every_supported_algorithm_round_trips(alg: str) -> None:
    auth = JWTAuth(keys=[JWTKey.generate(alg, kid="k")])
    verified = auth.decode(auth.create_access_token("a"))
    assert verified.kid == "k"
    header = jwt.get_unverified_header(auth.create_access_token("a"))
    assert header == {"alg": alg, "kid": "k", "typ": "JWT"}


def test_key_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key() -> None:
    old = JWTKey.generate("ES256", kid="2025")
    new = JWTKey.generate("ES256", kid="2026")
    old_token = JWTAuth(keys=[old]).create_access_token("a")
    rotated = JWTAuth(keys=KeyRing([old, new], signing_kid="2026"))
    assert rotated.decode(old_token).kid == "2025"
    assert rotated.decode(rotated.create_access_token("a")).kid == "2026"
    retired = JWTAuth(keys=[new])
    assert reason_of(retired, old_token) is FailureReason.UNKNOWN_KID


def test_verify_only_ring_cannot_sign() -> None:
    private = JWTKey.generate("EdDSA", kid="ed")
    assert isinstance(private.verification_key, object)
    public = JWTKey.from_key(private.verification_key, alg="EdDSA", kid="ed")  # type: ignore[arg-type]
    verifier = JWTAuth(keys=[public])
    assert not public.can_sign
    assert verifier.decode(JWTAuth(keys=[private]).create_access_token("a")).subject == "a"
    with pytest.raises(AuthConfigurationError, match="no private key"):
        verifier.create_access_token("a")


def test_pyjwt_errors_map_to_reasons_including_invalid_key_error() -> None:
    assert not issubclass(jwt.InvalidKeyError, jwt.InvalidTokenError)
    cases = {
        jwt.InvalidKeyError("bad key"): FailureReason.INVALID_KEY,
        jwt.InvalidSignatureError("sig"): FailureReason.INVALID_SIGNATURE,
        jwt.InvalidAlgorithmError("alg"): FailureReason.ALGORITHM_MISMATCH,
        jwt.ExpiredSignatureError("exp"): FailureReason.EXPIRED,
        jwt.ImmatureSignatureError("nbf"): FailureReason.NOT_YET_VALID,
        jwt.InvalidIssuerError("iss"): FailureReason.INVALID_ISSUER,
        jwt.InvalidAudienceError("aud"): FailureReason.INVALID_AUDIENCE,
        jwt.MissingRequiredClaimError("exp"): FailureReason.MISSING_CLAIM,
        jwt.DecodeError("x"): FailureReason.MALFORMED,
        jwt.InvalidIssuedAtError("iat"): FailureReason.INVALID_TOKEN,
        jwt.PyJWTError("root"): FailureReason.INVALID_TOKEN,
        jwt.PyJWKError("jwk"): FailureReason.INVALID_TOKEN,
    }
    for exc, reason in cases.items():
        assert failure_from_pyjwt(exc).reason is reason, exc


def test_failure_carries_detail_and_a_readable_message() -> None:
    failure = AuthenticationFailed(FailureReason.WRONG_TOKEN_TYPE)
    assert failure.detail == "wrong token type"
    assert str(failure) == "wrong_token_type: wrong token type"


# -- start-up checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(("alg", "size"), [("HS256", 31), ("HS384", 47), ("HS512", 63)])
def test_short_hmac_secrets_are_refused(alg: str, size: int) -> None:
    with pytest.raises(AuthConfigurationError, match=f"at least {size + 1}"):
        JWTKey.hmac(b"x" * size, alg=alg)
    assert JWTKey.hmac(b"x" * (size + 1), alg=alg).alg == alg


@pytest.mark.parametrize(
    "secret",
    [
        "-----BEGIN PUBLIC KEY-----\n" + "A" * 64,
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + "A" * 40,
        '{"kty":"RSA","n":"' + "A" * 64 + '","e":"AQAB"}',
    ],
    ids=["pem", "ssh", "jwk"],
)
def test_key_text_as_hmac_secret_is_refused(secret: str) -> None:
    with pytest.raises(AuthConfigurationError, match="looks like a PEM, SSH or JWK"):
        JWTAuth(secret=secret)


@pytest.mark.parametrize(
    "secret",
    [b"{" + bytes(range(1, 64)), b" \t{" + bytes(range(200, 256)) * 2, b"{" + b"x" * 63],
    ids=["random-bytes-starting-with-brace", "whitespace-then-brace", "brace-but-not-json"],
)
def test_random_secrets_that_merely_start_like_key_text_are_accepted(secret: bytes) -> None:
    # JWTKey.generate() draws 64 random bytes: about one in 200 starts with "{" after
    # whitespace; refusing those made key generation (and a test) fail at random.
    key = JWTKey.hmac(secret, kid="k")
    auth = JWTAuth(keys=[key])
    assert auth.decode(auth.create_access_token("u")).subject == "u"


def test_mixed_algorithm_families_are_refused() -> None:
    with pytest.raises(AuthConfigurationError, match="mixes HMAC and asymmetric"):
        JWTAuth(keys=[JWTKey.generate("HS256"), JWTKey.generate("ES256")])


def test_small_rsa_keys_are_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(AuthConfigurationError, match="1024 bits"):
        JWTKey.from_key(small, alg="RS256")


@pytest.mark.parametrize(
    ("key_alg", "alg", "message"),
    [
        ("ES256", "RS256", "needs an RSA key"),
        ("ES384", "ES256", "curve secp256r1"),
        ("RS256", "EdDSA", "Ed25519 or Ed448"),
        ("ES256", "HS256", "unsupported JWT algorithm"),
    ],
)
def test_key_type_must_match_its_algorithm(key_alg: str, alg: str, message: str) -> None:
    key = JWTKey.generate(key_alg)
    with pytest.raises(AuthConfigurationError, match=message):
        JWTKey.from_key(key.signing_key, alg=alg)  # type: ignore[arg-type]


def test_pem_keys_load_private_and_public() -> None:
    from cryptography.hazmat.primitives import serialization

    key = JWTKey.generate("RS256", kid="r")
    private_pem = key.signing_key.private_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.verification_key.public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signer = JWTAuth(keys=[JWTKey.from_pem(private_pem.decode(), alg="RS256")])
    verifier = JWTAuth(keys=[JWTKey.from_pem(public_pem, alg="RS256")])
    assert signer.keys.signing_key is not None
    assert verifier.keys.signing_key is None
    assert [k.kid for k in verifier.keys] == [signer.keys.signing_key.kid]
    assert verifier.decode(signer.create_access_token("a")).subject == "a"
    with pytest.raises(AuthConfigurationError, match="cannot load the PEM key"):
        JWTKey.from_pem(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----", alg="RS256")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"secret": SECRET, "keys": [JWTKey.generate("HS256")]}, "exactly one"),
        ({"secret": SECRET, "access_ttl": 0}, "lifetimes must be positive"),
        ({"secret": SECRET, "leeway": 301}, "leeway"),
        ({"secret": SECRET, "algorithm": "RS256"}, "not an HMAC algorithm"),
        ({"keys": []}, "at least one key"),
        ({"keys": ["not a key"]}, "expected JWTKey"),
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(AuthConfigurationError, match=message):
        JWTAuth(**kwargs)  # type: ignore[arg-type]


def test_a_ring_with_several_signing_keys_must_name_the_one_that_signs() -> None:
    # KeyRing([old, new]) -- the natural way to add a key -- silently kept signing with the
    # old key ("the first key that can sign"), so the rotation never happened.
    old, new = JWTKey.generate("HS256", kid="old"), JWTKey.generate("HS256", kid="new")
    with pytest.raises(AuthConfigurationError, match="signing_kid"):
        KeyRing([old, new])
    with pytest.raises(AuthConfigurationError, match="signing_kid"):
        JWTAuth(keys=[old, new])
    assert (
        JWTAuth(keys=KeyRing([old, new], signing_kid="new"))
        .decode(JWTAuth(keys=[old]).create_access_token("u"))
        .kid
        == "old"
    )
    public = JWTKey.from_key(
        JWTKey.generate("ES256").verification_key,  # type: ignore[arg-type]
        alg="ES256",
        kid="partner",
    )
    mine = JWTKey.generate("ES256", kid="mine")
    assert KeyRing([public, mine]).signing_key is mine  # one key can sign: no ambiguity


def test_key_ring_checks() -> None:
    a = JWTKey.generate("HS256", kid="a")
    with pytest.raises(AuthConfigurationError, match="duplicate key id"):
        KeyRing([a, JWTKey.generate("HS256", kid="a")])
    with pytest.raises(AuthConfigurationError, match="not in the key ring"):
        KeyRing([a], signing_kid="b")
    public = JWTKey.from_key(
        JWTKey.generate("ES256").verification_key,  # type: ignore[arg-type]
        alg="ES256",
        kid="pub",
    )
    with pytest.raises(AuthConfigurationError, match="no private material"):
        KeyRing([public], signing_kid="pub")
    ring = KeyRing([a])
    assert len(ring) == 1
    assert list(ring) == [a]
    assert ring.family == "hmac"
    with pytest.raises(AuthConfigurationError, match="unsupported key type"):
        JWTKey.from_key("not a key", alg="RS256")  # type: ignore[arg-type]
    with pytest.raises(AuthConfigurationError, match="unsupported JWT algorithm"):
        JWTKey.generate("XS999")
