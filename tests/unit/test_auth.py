import base64
import json
import time

import pytest

from devstack.authtools import signed_token, signing_key_and_cert
from shared.entrypoints.http.auth import InvalidToken, TokenVerifier, userinfo_header

PROJECT = "demo-kwetter"


def _seg(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def token(**over) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": "alice",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(over)
    claims = {k: v for k, v in claims.items() if v is not None}
    return f"{_seg({'alg': 'none', 'typ': 'JWT'})}.{_seg(claims)}."


emulator = TokenVerifier(PROJECT, emulator=True)


def test_valid_emulator_token():
    assert emulator.verify(f"Bearer {token()}")["sub"] == "alice"


@pytest.mark.parametrize(
    "header, reason",
    [
        (None, "missing"),
        ("Basic abc", "Bearer"),
        ("Bearer ", "Bearer"),
        ("Bearer a.b", "malformed"),
        ("Bearer !!.??.", "malformed"),
        (f"Bearer {token(exp=int(time.time()) - 3600)}", "expired"),
        (f"Bearer {token(iss='https://securetoken.google.com/other')}", "another project"),
        (f"Bearer {token(aud='other')}", "audience"),
        (f"Bearer {token(sub=None)}", "subject"),
        (f"Bearer {token(sub='x' * 129)}", "subject"),
        (f"Bearer {token(iat=int(time.time()) + 7200)}", "future"),
    ],
)
def test_rejections(header, reason):
    with pytest.raises(InvalidToken, match=reason):
        emulator.verify(header)


def test_unsigned_tokens_are_refused_outside_emulator_mode():
    real = TokenVerifier(PROJECT, emulator=False)
    with pytest.raises(InvalidToken):
        real.verify(f"Bearer {token()}")


def test_emulator_mode_cannot_be_switched_on_in_cloud_run(monkeypatch):
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    monkeypatch.setenv("K_SERVICE", "users")
    with pytest.raises(RuntimeError, match="Cloud Run"):
        TokenVerifier.from_env(PROJECT)


def test_userinfo_header_is_unpadded_base64url_json():
    raw = userinfo_header({"sub": "ü"})
    assert "=" not in raw
    assert json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) == {"sub": "ü"}


# ---- signed tokens, as Firebase issues them in production -----------------------------------


def _claims(**over):
    return json.loads(base64.urlsafe_b64decode(token(**over).split(".")[1] + "=="))


class _Fetcher:
    def __init__(self, certs: dict[str, str], max_age: float = 3600) -> None:
        self.certs, self.max_age, self.calls = certs, max_age, 0

    def __call__(self) -> tuple[dict[str, str], float]:
        self.calls += 1
        return dict(self.certs), self.max_age


@pytest.fixture(scope="module")
def signing():
    return signing_key_and_cert()


def _cloud(fetch, clock=None) -> TokenVerifier:
    from shared.entrypoints.http.auth import SigningKeys

    keys = SigningKeys(fetch, clock) if clock else SigningKeys(fetch)
    return TokenVerifier(PROJECT, emulator=False, keys=keys)


def test_signed_token_verifies_against_the_published_keys_fetched_once(signing):
    pem_key, cert = signing
    fetch = _Fetcher({"k1": cert})
    verifier = _cloud(fetch)
    for _ in range(3):
        assert verifier.verify(f"Bearer {signed_token(pem_key, 'k1', _claims())}")["sub"] == "alice"
    assert fetch.calls == 1


def test_a_tampered_or_foreign_token_is_refused(signing):
    pem_key, cert = signing
    verifier = _cloud(_Fetcher({"k1": cert}))
    good = signed_token(pem_key, "k1", _claims())
    head, payload, sig = good.split(".")
    forged_claims = (
        base64.urlsafe_b64encode(
            json.dumps(
                {**json.loads(base64.urlsafe_b64decode(payload + "==")), "sub": "mallory"}
            ).encode()
        )
        .decode()
        .rstrip("=")
    )
    with pytest.raises(InvalidToken, match="signature"):
        verifier.verify(f"Bearer {head}.{forged_claims}.{sig}")
    other_key, _ = signing_key_and_cert()
    with pytest.raises(InvalidToken, match="signature"):
        verifier.verify(f"Bearer {signed_token(other_key, 'k1', _claims())}")
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(
            f"Bearer {signed_token(pem_key, 'k1', _claims(exp=int(time.time()) - 3600))}"
        )


def test_an_unknown_key_id_refetches_once_for_a_rotation(signing):
    pem_key, cert = signing
    fetch = _Fetcher({"old": cert})
    verifier = _cloud(fetch)
    with pytest.raises(InvalidToken, match="unknown key"):
        verifier.verify(f"Bearer {signed_token(pem_key, 'new', _claims())}")
    assert fetch.calls == 1
    fetch.certs = {"old": cert, "new": cert}  # the endpoint now publishes the rotated key
    assert verifier.verify(f"Bearer {signed_token(pem_key, 'new', _claims())}")["sub"] == "alice"
    assert fetch.calls == 2


def test_keys_are_refreshed_when_their_max_age_runs_out(signing):
    pem_key, cert = signing
    now = [0.0]
    fetch = _Fetcher({"k1": cert}, max_age=100)
    verifier = _cloud(fetch, clock=lambda: now[0])
    verifier.verify(f"Bearer {signed_token(pem_key, 'k1', _claims())}")
    now[0] = 99
    verifier.verify(f"Bearer {signed_token(pem_key, 'k1', _claims())}")
    assert fetch.calls == 1
    now[0] = 101
    verifier.verify(f"Bearer {signed_token(pem_key, 'k1', _claims())}")
    assert fetch.calls == 2


def test_unsigned_tokens_are_refused_outside_the_emulator(signing):
    _, cert = signing
    with pytest.raises(InvalidToken, match="signed"):
        _cloud(_Fetcher({"k1": cert})).verify(f"Bearer {token()}")
