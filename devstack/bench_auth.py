"""What verifying the caller's token costs a function (issue 16's defense in depth).

Each HTTP function verifies the Firebase ID token API Gateway forwards. With the signing keys
cached (shared/entrypoints/http/auth.py), a verification is one RSA-2048 signature check plus
claim checks; this measures it, next to the bare RSA check of the same signature measured in
the same run (the floor: what no implementation can go below), in wall and CPU time.
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from collections.abc import Callable

from devstack.authtools import signed_token, signing_key_and_cert
from shared.entrypoints.http.auth import SigningKeys, TokenVerifier


def _timed(n: int, call: Callable[[], object]) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    return (time.perf_counter() - w0) / n * 1e6, (time.process_time() - c0) / n * 1e6


def measure(n: int = 5000) -> dict[str, float]:
    from google.auth import crypt

    project = "demo-kwetter-bench"
    pem_key, cert = signing_key_and_cert()
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{project}",
        "aud": project,
        "sub": "bench-user",
        "iat": now,
        "exp": now + 3600,
    }
    token = signed_token(pem_key, "k1", claims)
    keys = SigningKeys(lambda: ({"k1": cert}, 3600.0))
    verifier = TokenVerifier(project, emulator=False, keys=keys)
    header = f"Bearer {token}"
    verifier.verify(header)  # fetch and parse the keys once, as the first request of an instance
    raw = crypt.RSAVerifier.from_string(cert)
    signing_input, _, sig = token.rpartition(".")
    signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    message = signing_input.encode()
    floor_wall, floor_cpu = _timed(n, lambda: raw.verify(message, signature))
    wall, cpu = _timed(n, lambda: verifier.verify(header))
    return {
        "verifications": n,
        "verify_us_wall": round(wall, 1),
        "verify_us_cpu": round(cpu, 1),
        "rsa_floor_us_wall": round(floor_wall, 1),
        "rsa_floor_us_cpu": round(floor_cpu, 1),
        "ratio_to_floor_cpu": round(cpu / floor_cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="verifications to time")
    args = parser.parse_args()
    r = measure(args.n)
    print(
        f"token verification (cached keys): {r['verify_us_wall']} µs wall, "
        f"{r['verify_us_cpu']} µs CPU per request; bare RSA-2048 check "
        f"{r['rsa_floor_us_cpu']} µs CPU; ratio {r['ratio_to_floor_cpu']}x"
    )
    print(json.dumps(r))


if __name__ == "__main__":
    main()
