from __future__ import annotations

import asyncio
import base64
import hashlib
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covet.auth import (
    Argon2Hasher,
    AuthConfigurationError,
    InvalidPasswordHash,
    PasswordHasher,
    PasswordTooLong,
    PBKDF2Hasher,
    ScryptHasher,
)
from covet.auth._passwords import default_schemes

FAST = PasswordHasher.for_testing()


def django_pbkdf2(password: str, iterations: int = 260_000, salt: str = "legacysalt") -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def test_default_hasher_uses_owasp_argon2id_then_scrypt_then_pbkdf2() -> None:
    hasher = PasswordHasher()
    assert [s.name for s in hasher.schemes] == ["argon2", "scrypt", "pbkdf2_sha256"]
    encoded = hasher.hash("correct horse")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify("correct horse", encoded)
    assert not hasher.verify("correct hors", encoded)
    assert not hasher.needs_rehash(encoded)


def test_real_scrypt_parameters_are_in_the_hash() -> None:
    scrypt = ScryptHasher()
    encoded = scrypt.hash(b"pw")
    assert encoded.startswith("$scrypt$ln=17,r=8,p=1$")
    assert scrypt.verify(b"pw", encoded)
    assert not scrypt.verify(b"pW", encoded)
    assert not scrypt.needs_rehash(encoded)


@pytest.mark.parametrize(
    "scheme",
    [
        Argon2Hasher(time_cost=1, memory_cost=64, unsafe_for_testing=True),
        ScryptHasher(log2_n=4, r=1, unsafe_for_testing=True),
        PBKDF2Hasher(iterations=1000, unsafe_for_testing=True),
    ],
    ids=lambda s: s.name,
)
def test_each_scheme_hashes_verifies_and_salts(scheme: object) -> None:
    hasher = PasswordHasher([scheme])  # type: ignore[list-item]
    first, second = hasher.hash("pässwörd"), hasher.hash("pässwörd")
    assert first != second
    assert hasher.verify("pässwörd", first)
    assert hasher.verify("pässwörd", second)
    assert not hasher.verify("passwörd", first)
    assert not hasher.needs_rehash(first)


def test_changed_parameters_need_rehash() -> None:
    old = PasswordHasher([ScryptHasher(log2_n=4, r=1, unsafe_for_testing=True)])
    new = PasswordHasher([ScryptHasher(log2_n=5, r=1, unsafe_for_testing=True)])
    encoded = old.hash("pw")
    assert new.verify("pw", encoded)
    assert new.needs_rehash(encoded)
    argon_old = PasswordHasher([Argon2Hasher(time_cost=1, memory_cost=64, unsafe_for_testing=True)])
    argon_new = PasswordHasher([Argon2Hasher(time_cost=2, memory_cost=64, unsafe_for_testing=True)])
    assert argon_new.needs_rehash(argon_old.hash("pw"))
    pbkdf2 = PasswordHasher([PBKDF2Hasher()])
    assert pbkdf2.needs_rehash(django_pbkdf2("pw"))
    assert pbkdf2.current.name == "pbkdf2_sha256"


def test_legacy_pbkdf2_hash_is_upgraded_by_verify_and_update() -> None:
    legacy = django_pbkdf2("hunter2")
    matched, new_hash = FAST.verify_and_update("hunter2", legacy)
    assert matched
    assert new_hash is not None
    assert new_hash.startswith("$argon2id$")
    assert FAST.verify("hunter2", new_hash)
    assert FAST.verify_and_update("hunter2", new_hash) == (True, None)
    assert FAST.verify_and_update("wrong", legacy) == (False, None)


def test_real_pbkdf2_hashes_with_600k_iterations() -> None:
    encoded = PBKDF2Hasher().hash(b"pw")
    assert encoded.startswith("pbkdf2_sha256$600000$")
    assert PBKDF2Hasher().verify(b"pw", encoded)


def test_password_over_the_limit_is_refused_before_hashing() -> None:
    hasher = PasswordHasher.for_testing(max_bytes=16)
    with pytest.raises(PasswordTooLong) as info:
        hasher.hash("é" * 9)  # 18 bytes in UTF-8
    assert (info.value.length, info.value.limit) == (18, 16)
    encoded = hasher.hash("x" * 16)
    assert not hasher.verify("x" * 17, encoded)


def test_default_limit_is_1024_bytes() -> None:
    with pytest.raises(PasswordTooLong):
        FAST.hash("a" * 1025)
    assert FAST.verify("a" * 1024, FAST.hash("a" * 1024))


def test_non_string_password_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must be str"):
        FAST.hash(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plaintext",
        "$2b$12$abcdefghijklmnopqrstuv",  # bcrypt is not configured
        "$argon2id$v=19$m=abc",
        "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",  # 4 GiB of memory
        "$scrypt$ln=4,r=1,p=1$###$###",
        "$scrypt$ln=30,r=8,p=1$c2FsdA$aGFzaA",  # N=2**30
        "$scrypt$ln=4,r=1",
        "pbkdf2_sha256$abc$salt$hash",
        "pbkdf2_sha256$99999999999$salt$aGFzaA==",
        "pbkdf2_sha256$1000$salt",
        "pbkdf2_sha256$\u00b2$salt$aGFzaA==",  # str.isdigit() is true, int() refuses it
        "pbkdf2_sha256$" + "9" * 5000 + "$salt$aGFzaA==",  # over int()'s digit limit
        "pbkdf2_sha256$+1000$salt$aGFzaA==",
        "pbkdf2_sha256$5000000$salt$aGFzaA==",  # 5M iterations: seconds of CPU per login
        "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",  # 1 GiB of memory
        "$argon2id$v=19$m=65536,t=64,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",  # 64 passes
        "$scrypt$ln=20,r=8,p=1$c2FsdA$aGFzaA",  # 128 * r * N = 1 GiB
        "$scrypt$ln=17,r=8,p=16$c2FsdA$aGFzaA",  # 16 times the default's work
        "$scrypt$ln=\u0661\u0667,r=8,p=1$c2FsdA$aGFzaA",  # Arabic-Indic digits
    ],
)
def test_unreadable_or_hostile_hashes_raise_invalid_password_hash(encoded: str) -> None:
    with pytest.raises(InvalidPasswordHash):
        FAST.verify("pw", encoded)


def test_configured_parameters_above_the_stored_hash_caps_still_verify() -> None:
    # the caps on parameters read from a stored hash never refuse this hasher's own hashes
    pbkdf2 = PBKDF2Hasher(iterations=2_500_000)
    assert pbkdf2.verify(b"pw", pbkdf2.hash(b"pw"))
    assert not pbkdf2.needs_rehash(pbkdf2.hash(b"pw"))
    scrypt = ScryptHasher(log2_n=4, r=1, p=16, unsafe_for_testing=True)
    assert scrypt.verify(b"pw", scrypt.hash(b"pw"))


async def test_authenticate_refuses_a_user_whose_stored_hash_is_hostile() -> None:
    from types import SimpleNamespace

    from covet.auth import authenticate

    user = SimpleNamespace(password_hash="pbkdf2_sha256$\u00b2$salt$aGFzaA==", is_active=True)
    assert await authenticate("u", "pw", get_user=lambda _name: user, hasher=FAST) is None


def test_needs_rehash_of_malformed_hashes_raises() -> None:
    for encoded in ("$argon2id$nope", "$scrypt$bad", "pbkdf2_sha256$x"):
        with pytest.raises(InvalidPasswordHash):
            FAST.needs_rehash(encoded)


def test_argon2_hash_that_cannot_be_verified_is_invalid() -> None:
    encoded = FAST.hash("pw")
    mangled = encoded[:-4] + "!!!!"
    with pytest.raises(InvalidPasswordHash):
        FAST.verify("pw", mangled)


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda: Argon2Hasher(memory_cost=8192), "OWASP"),
        (lambda: Argon2Hasher(time_cost=1), "OWASP"),
        (lambda: Argon2Hasher(parallelism=0), "positive"),
        (lambda: ScryptHasher(log2_n=16), "OWASP"),
        (lambda: ScryptHasher(log2_n=40), "log2_n"),
        (lambda: PBKDF2Hasher(iterations=100_000), "600000"),
        (lambda: PBKDF2Hasher(iterations=0), "iterations"),
        (lambda: PasswordHasher([]), "at least one scheme"),
        (lambda: PasswordHasher(max_bytes=4), "max_bytes"),
        (lambda: PasswordHasher(threads=0), "threads"),
    ],
)
def test_weak_or_impossible_parameters_are_refused(factory: object, message: str) -> None:
    with pytest.raises(AuthConfigurationError, match=message):
        factory()  # type: ignore[operator]


def test_cheap_test_schemes_are_flagged_and_cheap() -> None:
    schemes = default_schemes(unsafe_for_testing=True)
    assert [s.name for s in schemes] == ["argon2", "scrypt", "pbkdf2_sha256"]
    assert FAST.hash("pw").startswith("$argon2id$v=19$m=64,t=1,p=1$")


async def test_async_helpers_run_off_the_event_loop_thread() -> None:
    seen: list[int] = []

    class Spy(PBKDF2Hasher):
        def hash(self, password: bytes) -> str:
            seen.append(threading.get_ident())
            return super().hash(password)

    hasher = PasswordHasher([Spy(iterations=1000, unsafe_for_testing=True)])
    encoded = await hasher.ahash("pw")
    assert seen
    assert seen[0] != threading.get_ident()
    assert await hasher.averify("pw", encoded)
    assert await hasher.averify_and_update("pw", encoded) == (True, None)
    await hasher.adummy_verify("pw")


async def test_async_hashing_is_bounded_by_the_thread_limit() -> None:
    active = 0
    peak = 0
    lock = threading.Lock()
    gate = threading.Event()

    class Slow(PBKDF2Hasher):
        def hash(self, password: bytes) -> str:
            nonlocal active, peak
            with lock:
                active += 1
                peak = max(peak, active)
            gate.wait(5)
            with lock:
                active -= 1
            return "pbkdf2_sha256$1$s$aGFzaA=="

    hasher = PasswordHasher([Slow(iterations=1000, unsafe_for_testing=True)], threads=2)
    tasks = [asyncio.ensure_future(hasher.ahash("pw")) for _ in range(6)]
    while peak < 2:  # noqa: ASYNC110 - the workers are threads, not tasks
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.01)
    assert active == 2
    gate.set()
    await asyncio.gather(*tasks)
    assert peak == 2


def test_non_string_stored_hash_is_invalid() -> None:
    with pytest.raises(InvalidPasswordHash):
        FAST.verify("pw", None)  # type: ignore[arg-type]


def test_without_argon2_cffi_scrypt_is_the_default() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['argon2'] = None\n"
        "from covet.auth import AuthConfigurationError, Argon2Hasher, PasswordHasher\n"
        "hasher = PasswordHasher()\n"
        "print([s.name for s in hasher.schemes])\n"
        "encoded = hasher.hash('pw')\n"
        "ok, bad = hasher.verify('pw', encoded), hasher.verify('px', encoded)\n"
        "print(encoded.split('$')[1:3], ok, bad)\n"
        "print([s.name for s in PasswordHasher.for_testing().schemes])\n"
        "try:\n"
        "    Argon2Hasher()\n"
        "except AuthConfigurationError as exc:\n"
        "    print('refused:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "['scrypt', 'pbkdf2_sha256']"
    assert lines[1] == "['scrypt', 'ln=17,r=8,p=1'] True False"
    assert lines[2] == "['scrypt', 'pbkdf2_sha256']"
    assert lines[3].startswith("refused: Argon2Hasher needs argon2-cffi")


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["$argon2id$", "$argon2i$v=19$", "$scrypt$ln=", "pbkdf2_sha256$", ""]),
    rest=st.text(max_size=120),
)
def test_any_stored_hash_text_verifies_false_or_raises_invalid_password_hash(
    prefix: str, rest: str
) -> None:
    try:
        assert FAST.verify("pw", prefix + rest) in (True, False)
        FAST.needs_rehash(prefix + rest)
    except InvalidPasswordHash:
        pass


async def test_lone_surrogates_from_a_json_parser_never_raise() -> None:
    # json.loads('"\\ud800"') is a valid str that str.encode("utf-8") refuses
    from types import SimpleNamespace

    from covet.auth import LoginThrottle, authenticate
    from covet.middleware import MemoryStore

    stored = FAST.hash("\ud800x")
    assert FAST.verify("\ud800x", stored)
    assert not FAST.verify("\udc00x", stored)
    user = SimpleNamespace(password_hash=FAST.hash("pw"), is_active=True)
    assert await authenticate("u", "\ud800", get_user=lambda _n: user, hasher=FAST) is None
    throttle = LoginThrottle(MemoryStore())
    await throttle.check("\udfff", None)
    await throttle.success("\udfff", None)


def test_dummy_verify_costs_one_hashing_operation_from_the_first_call() -> None:
    # The dummy hash was made lazily inside the first dummy_verify, which then verified too:
    # the first unknown-user login in a process cost two hashes, a timing tell.
    calls: list[str] = []

    class Counting(ScryptHasher):
        def hash(self, password: bytes) -> str:
            calls.append("hash")
            return super().hash(password)

        def verify(self, password: bytes, encoded: str) -> bool:
            calls.append("verify")
            return super().verify(password, encoded)

    hasher = PasswordHasher([Counting(log2_n=4, r=1, p=1, unsafe_for_testing=True)])
    hasher.dummy_verify("guess")
    assert len(calls) == 1
    hasher.dummy_verify("guess")
    assert calls[1:] == ["verify"]


# -- needs_rehash never downgrades: only a legacy scheme or a weaker stored cost rehashes -----


def _argon2(**params: int) -> Argon2Hasher:
    base = {"time_cost": 2, "memory_cost": 128, "parallelism": 2}
    return Argon2Hasher(**{**base, **params}, unsafe_for_testing=True)


def test_weaker_hasher_does_not_downgrade_stronger_stored_hashes() -> None:
    strong = PasswordHasher([_argon2(time_cost=3, memory_cost=256, parallelism=4)])
    weak = PasswordHasher([_argon2(time_cost=1, memory_cost=64, parallelism=1)])
    stored = strong.hash("pw")
    assert not weak.needs_rehash(stored)
    assert weak.verify_and_update("pw", stored) == (True, None)
    # the for_testing hasher pointed at real OWASP-strength data leaves it alone
    assert FAST.verify_and_update("pw", stored) == (True, None)
    scrypt_strong = PasswordHasher([ScryptHasher(log2_n=6, r=2, p=2, unsafe_for_testing=True)])
    scrypt_weak = PasswordHasher([ScryptHasher(log2_n=4, r=1, p=1, unsafe_for_testing=True)])
    assert scrypt_weak.verify_and_update("pw", scrypt_strong.hash("pw")) == (True, None)
    pbkdf2_weak = PasswordHasher([PBKDF2Hasher(iterations=1000, unsafe_for_testing=True)])
    assert pbkdf2_weak.verify_and_update("pw", django_pbkdf2("pw")) == (True, None)


@pytest.mark.parametrize(
    ("stored", "current"),
    [
        ({"memory_cost": 64}, {}),
        ({"time_cost": 1}, {}),
        ({"parallelism": 1}, {}),
        # one weaker dimension is enough, even when another is stronger
        ({"time_cost": 1, "memory_cost": 512}, {}),
    ],
    ids=["memory", "time", "parallelism", "mixed"],
)
def test_argon2_hash_weaker_in_any_cost_is_rehashed(
    stored: dict[str, int], current: dict[str, int]
) -> None:
    encoded = PasswordHasher([_argon2(**stored)]).hash("pw")
    hasher = PasswordHasher([_argon2(**current)])
    matched, new_hash = hasher.verify_and_update("pw", encoded)
    assert matched
    assert new_hash is not None
    assert "$m=128,t=2,p=2$" in new_hash


@pytest.mark.parametrize(
    ("params", "weaker"),
    [
        ({"hash_len": 16}, True),
        ({"salt_len": 8}, True),
        ({"hash_len": 64, "salt_len": 32}, False),
        ({"type": "I"}, True),  # argon2i is another scheme than argon2id
    ],
    ids=["hash_len", "salt_len", "longer", "argon2i"],
)
def test_argon2_hash_and_salt_lengths_and_type(params: dict[str, object], weaker: bool) -> None:
    import argon2

    kwargs: dict[str, object] = {"time_cost": 2, "memory_cost": 128, "parallelism": 2}
    kwargs.update(params)
    if "type" in kwargs:
        kwargs["type"] = argon2.Type[str(kwargs["type"])]
    encoded = argon2.PasswordHasher(**kwargs).hash("pw")  # type: ignore[arg-type]
    assert PasswordHasher([_argon2()]).needs_rehash(encoded) is weaker


@pytest.mark.parametrize(
    ("stored", "weaker"),
    [
        ((3, 2, 2), True),
        ((4, 1, 2), True),
        ((4, 2, 1), True),
        ((3, 4, 4), True),
        ((4, 2, 2), False),
        ((5, 2, 2), False),
        ((4, 3, 3), False),
    ],
)
def test_scrypt_hash_weaker_in_n_r_or_p_is_rehashed(
    stored: tuple[int, int, int], weaker: bool
) -> None:
    log2_n, r, p = stored
    encoded = ScryptHasher(log2_n=log2_n, r=r, p=p, unsafe_for_testing=True).hash(b"pw")
    current = PasswordHasher([ScryptHasher(log2_n=4, r=2, p=2, unsafe_for_testing=True)])
    assert current.needs_rehash(encoded) is weaker


def test_pbkdf2_rehashes_only_fewer_iterations() -> None:
    pbkdf2 = PasswordHasher([PBKDF2Hasher()])
    assert pbkdf2.needs_rehash(django_pbkdf2("pw", iterations=599_999))
    assert not pbkdf2.needs_rehash(django_pbkdf2("pw", iterations=600_000))
    assert not pbkdf2.needs_rehash(django_pbkdf2("pw", iterations=1_000_000))


def test_a_legacy_scheme_is_always_rehashed_to_the_current_one() -> None:
    # a different scheme is rehashed whatever its cost: costs across schemes do not compare
    strong_scrypt = ScryptHasher(log2_n=8, r=4, p=2, unsafe_for_testing=True)
    encoded = strong_scrypt.hash(b"pw")
    hasher = PasswordHasher([_argon2(), strong_scrypt])
    assert hasher.needs_rehash(encoded)


def test_argon2_version_16_hash_is_rehashed() -> None:
    import argon2.low_level

    encoded = argon2.low_level.hash_secret(
        b"pw",
        b"saltsaltsaltsalt",
        time_cost=2,
        memory_cost=128,
        parallelism=2,
        hash_len=32,
        type=argon2.Type.ID,
        version=16,
    ).decode()
    hasher = PasswordHasher([_argon2()])
    assert "$v=16$" in encoded
    assert hasher.verify_and_update("pw", encoded)[1] is not None
