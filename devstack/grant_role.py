"""`make grant-role UID=<uid> ROLE=moderator|admin [REVOKE=1]`: a role on the running local
stack's Auth emulator (docs/safety.md).

Sets the Firebase Auth custom claim (``{"moderator": true}`` / ``{"admin": true}``) through the
same adapter the admins' route uses, and for a moderator the granted record the moderation
routes also require; the first admin of a stack can only be made this way. The claim reaches the
account's ID tokens at its next sign-in or token refresh. Refused unless the stack's Auth is an
emulator (FIREBASE_AUTH_EMULATOR_HOST from stack.json): never a deployed project.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from devstack.seed import read_stack
from devstack.services import REPO


def grant(env: dict[str, str], uid: str, role: str, on: bool) -> None:
    if not env.get("FIREBASE_AUTH_EMULATOR_HOST"):
        sys.exit("refused: no Auth emulator in this stack's description")
    os.environ.update({k: env[k] for k in ("FIREBASE_AUTH_EMULATOR_HOST",
                                          "FIRESTORE_EMULATOR_HOST") if k in env})  # fmt: skip
    from shared import config
    from shared.bootstrap import Container
    from shared.domain import safety
    from shared.ids import now_ms

    if role not in safety.ROLES:
        sys.exit(f"ROLE must be one of {', '.join(safety.ROLES)}")
    c = Container(config.Settings(project_id=env["GOOGLE_CLOUD_PROJECT"]))
    if not c.roles.set_role(uid, role, on):
        sys.exit(f"no Auth emulator account {uid}")
    if role == safety.MODERATOR:
        c.moderation_store.set_moderator(uid, on, now_ms())
    c.moderation_store.audit({
        "id": f"local-{role}-{uid}-{now_ms()}", "action": f"{'grant' if on else 'revoke'}_{role}",
        "actor_id": "make grant-role", "target": uid, "reason": "local tooling", "at_ms": now_ms(),
    })  # fmt: skip
    print(f"{'granted' if on else 'revoked'} {role} for {uid}: sign in again to use it")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--uid", required=True)
    ap.add_argument("--role", required=True)
    ap.add_argument("--revoke", action="store_true")
    ap.add_argument("--workdir", type=Path, default=REPO / ".local" / "run")
    args = ap.parse_args()
    stack = read_stack(args.workdir)
    env = stack["env"]
    assert isinstance(env, dict)
    grant({str(k): str(v) for k, v in env.items()}, args.uid, args.role, not args.revoke)


if __name__ == "__main__":
    main()
