import base64
import json
import time

import pytest

from shared.auth import InvalidToken, TokenVerifier, userinfo_header

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
