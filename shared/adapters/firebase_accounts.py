"""Sign-in accounts in Firebase Authentication (Identity Platform): the users' credentials.

The platform's own user records live in Neo4j; this adapter holds what only Firebase holds:
the e-mail and password a person signs in with. Locally it talks to the Auth emulator
(FIREBASE_AUTH_EMULATOR_HOST), which firebase-admin picks up from the environment.
"""

from __future__ import annotations

import contextlib

import firebase_admin
from firebase_admin import auth


class FirebaseAccounts:
    def __init__(self, project_id: str) -> None:
        name = f"kwetter-{project_id}"
        try:
            self._app = firebase_admin.get_app(name)
        except ValueError:
            self._app = firebase_admin.initialize_app(options={"projectId": project_id}, name=name)

    def create(self, uid: str, email: str, password: str) -> bool:
        """Create the account; False when one with this uid exists already (idempotent)."""
        try:
            auth.create_user(uid=uid, email=email, password=password, app=self._app)
        except auth.UidAlreadyExistsError:
            return False
        return True

    def delete(self, uid: str) -> None:
        """Delete the account; nothing to do when it is already gone."""
        with contextlib.suppress(auth.UserNotFoundError):
            auth.delete_user(uid, app=self._app)


class FirebaseRoles:
    """ports.RoleGrants: the ``moderator`` / ``admin`` custom claims of an account. Claims reach
    the account's ID tokens at their next refresh; a revocation also revokes the refresh
    tokens, so a revoked moderator must sign in again."""

    def __init__(self, project_id: str) -> None:
        self._app = FirebaseAccounts(project_id)._app

    def set_role(self, uid: str, role: str, on: bool) -> bool:
        try:
            user = auth.get_user(uid, app=self._app)
        except auth.UserNotFoundError:
            return False
        claims = dict(user.custom_claims or {})
        if on:
            claims[role] = True
        else:
            claims.pop(role, None)
        auth.set_custom_user_claims(uid, claims or None, app=self._app)
        if not on:
            auth.revoke_refresh_tokens(uid, app=self._app)
        return True
