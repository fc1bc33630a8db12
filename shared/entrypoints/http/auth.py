"""Verifying Firebase ID tokens the way API Gateway does (issuer, audience, expiry, signature).

Two callers: the local gateway (in place of API Gateway), and every HTTP function itself, as
defense in depth behind API Gateway (Google's advice for gateway backends): API Gateway forwards
the caller's own token in ``X-Forwarded-Authorization``, the function verifies it again and
refuses a request whose identity header disagrees with it (shared/entrypoints/http/api.py).

Signatures are checked against Firebase's published keys, fetched once and kept for as long as
their Cache-Control allows, with the parsed keys cached: a verification is one RSA check and a
few dict lookups (``make bench`` measures it). The Auth emulator's tokens are unsigned
(``alg: none``), so unsigned tokens are accepted only when the emulator is configured — which
this module refuses to be on Cloud Run, where K_SERVICE is always set.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

CLOCK_SKEW_SECONDS = 60
FIREBASE_CERTS_URL = (
    "https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com"
)
# When the key endpoint sends no max-age, keep its keys this long (Google rotates them daily).
DEFAULT_CERTS_MAX_AGE = 3600.0


class InvalidToken(Exception):
    pass


class SignatureChecker(Protocol):
    def verify(self, message: bytes, signature: bytes) -> bool: ...


# (certificates by key id, seconds they may be kept)
CertsFetcher = Callable[[], tuple[dict[str, str], float]]


def fetch_firebase_certs() -> tuple[dict[str, str], float]:
    import requests

    resp = requests.get(FIREBASE_CERTS_URL, timeout=10)
    resp.raise_for_status()
    match = re.search(r"max-age=(\d+)", resp.headers.get("Cache-Control", ""))
    return resp.json(), float(match.group(1)) if match else DEFAULT_CERTS_MAX_AGE


class SigningKeys:
    """Firebase's signing keys by key id, parsed once per fetch and refreshed when they expire
    or when a token names a key id not seen yet (a rotation)."""

    def __init__(
        self,
        fetch: CertsFetcher = fetch_firebase_certs,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, SignatureChecker] = {}
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self, kid: str) -> SignatureChecker | None:
        if kid not in self._keys or self._clock() >= self._expires:
            with self._lock:
                if kid not in self._keys or self._clock() >= self._expires:
                    self._refresh()
        return self._keys.get(kid)

    def _refresh(self) -> None:
        from google.auth import crypt

        try:
            certs, max_age = self._fetch()
        except Exception as exc:  # no keys, no verification: the caller answers 401
            raise InvalidToken(f"signing keys unavailable: {exc}") from exc
        self._keys = {k: crypt.RSAVerifier.from_string(pem) for k, pem in certs.items()}
        self._expires = self._clock() + max_age


@dataclass(frozen=True)
class TokenVerifier:
    project_id: str
    emulator: bool
    keys: SigningKeys = field(default_factory=SigningKeys, compare=False, repr=False)

    @classmethod
    def from_env(cls, project_id: str) -> TokenVerifier:
        emulator = bool(os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"))
        if emulator and os.environ.get("K_SERVICE"):
            raise RuntimeError(
                "FIREBASE_AUTH_EMULATOR_HOST is set on Cloud Run: "
                "refusing to accept unsigned tokens"
            )
        return cls(project_id=project_id, emulator=emulator)

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a valid ``Bearer`` token; InvalidToken with a reason otherwise."""
        if not authorization:
            raise InvalidToken("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Authorization must be 'Bearer <Firebase ID token>'")
        token = token.strip()
        header, claims = _decode_unverified(token)
        if self.emulator:
            if header.get("alg") not in ("none", "RS256"):
                raise InvalidToken("unsupported token algorithm")
        elif header.get("alg") != "RS256":
            raise InvalidToken("token must be signed (RS256)")
        else:
            claims = self._verify_signature(token)
        self._check_claims(claims)
        return claims

    def _verify_signature(self, token: str) -> dict[str, Any]:
        header, claims = _decode_unverified(token)
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("token names no signing key")
        key = self.keys.get(kid)
        if key is None:
            raise InvalidToken("token signed with an unknown key")
        signing_input, _, signature = token.rpartition(".")
        try:
            ok = key.verify(signing_input.encode(), _b64(signature))
        except (binascii.Error, ValueError) as exc:
            raise InvalidToken("bad signature") from exc
        if not ok:
            raise InvalidToken("bad signature")
        return claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        now = time.time()
        issuer = f"https://securetoken.google.com/{self.project_id}"
        if claims.get("iss") != issuer:
            raise InvalidToken("token issued for another project")
        if claims.get("aud") != self.project_id:
            raise InvalidToken("token audience is another project")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp < now - CLOCK_SKEW_SECONDS:
            raise InvalidToken("token expired")
        iat = claims.get("iat")
        if isinstance(iat, int | float) and iat > now + CLOCK_SKEW_SECONDS:
            raise InvalidToken("token issued in the future")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not 0 < len(sub) <= 128:
            raise InvalidToken("token has no valid subject")


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("malformed token")
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidToken("malformed token")
    return header, claims


def userinfo_header(claims: dict[str, Any]) -> str:
    """The X-Apigateway-Api-Userinfo value API Gateway sends: base64url JSON, no padding."""
    raw = json.dumps(claims, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
