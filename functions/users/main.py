"""HTTP function `users`: profiles, follows, follower lists, suggestions (shared/services/users)."""

import flask
import functions_framework

from shared.bootstrap import container
from shared.services.users import build_router

_router = build_router(container())


@functions_framework.http
def users(request: flask.Request) -> flask.Response:
    return _router.dispatch(request)
