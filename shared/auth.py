"""Verifying Firebase ID tokens the way API Gateway does (issuer, audience, expiry, signature).

Only the local gateway calls this: in the cloud, API Gateway verifies tokens before a function
sees the request. The Auth emulator's tokens are unsigned (``alg: none``) and firebase-admin in
emulator mode checks neither signature nor expiry, so this module checks the claims itself and
accepts unsigned tokens only when the emulator is configured — which it refuses to be on Cloud
Run, where K_SERVICE is always set.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import time
from dataclasses import dataclass
from typing import Any

CLOCK_SKEW_SECONDS = 60


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class TokenVerifier:
    project_id: str
    emulator: bool

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
        # Google's certificates are fetched (and cached by google-auth) only in cloud mode.
        import google.auth.transport.requests
        from google.oauth2 import id_token

        try:
            claims: dict[str, Any] = id_token.verify_firebase_token(
                token, google.auth.transport.requests.Request(), audience=self.project_id
            )
        except ValueError as exc:
            raise InvalidToken(f"bad signature or claims: {exc}") from exc
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
