"""Users and ID tokens from the Firebase Auth emulator, for seeding, e2e and load tests."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

import requests

API_KEY = "demo-key"  # the emulator accepts any key


@dataclass(frozen=True)
class SignedIn:
    uid: str
    email: str
    id_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.id_token}"}


def _identity_url(emulator: str, method: str) -> str:
    base = emulator if emulator.startswith("http") else f"http://{emulator}"
    return f"{base}/identitytoolkit.googleapis.com/v1/accounts:{method}?key={API_KEY}"


def _password_call(emulator: str, method: str, email: str, password: str) -> SignedIn:
    resp = requests.post(
        _identity_url(emulator, method),
        json={"email": email, "password": password, "returnSecureToken": True},
        timeout=10,
    )
    if resp.status_code != 200:
        raise RuntimeError(f"{method} of {email} failed: {resp.status_code} {resp.text}")
    body = resp.json()
    return SignedIn(uid=body["localId"], email=email, id_token=body["idToken"])


def sign_up(emulator: str, email: str, password: str) -> SignedIn:
    return _password_call(emulator, "signUp", email, password)


def sign_in(emulator: str, email: str, password: str) -> SignedIn:
    return _password_call(emulator, "signInWithPassword", email, password)


def emulator_token(uid: str, project_id: str, ttl_seconds: int = 3600) -> str:
    """A token in the emulator's own format (unsigned) for a user that exists only in the graph,
    such as the seeded Reed98 users; accepted only by a gateway in emulator mode."""
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{project_id}",
        "aud": project_id,
        "auth_time": now,
        "user_id": uid,
        "sub": uid,
        "iat": now,
        "exp": now + ttl_seconds,
        "firebase": {"identities": {}, "sign_in_provider": "custom"},
    }

    def seg(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{seg({'alg': 'none', 'typ': 'JWT'})}.{seg(claims)}."


def signing_key_and_cert() -> tuple[bytes, str]:
    """A fresh RSA key (PEM) and its self-signed certificate (PEM), standing in for Firebase's
    token-signing keys in tests and the verification benchmark."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem_key, cert.public_bytes(serialization.Encoding.PEM).decode()


def signed_token(pem_key: bytes, kid: str, claims: dict[str, object]) -> str:
    """An RS256 JWT over ``claims``, signed like Firebase's (key id in the header)."""
    from google.auth import crypt
    from google.auth import jwt as gjwt

    signer = crypt.RSASigner.from_string(pem_key, key_id=kid)
    encoded: bytes = gjwt.encode(signer, claims)
    return encoded.decode()
