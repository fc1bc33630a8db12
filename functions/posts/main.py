"""HTTP function `posts`: create, read and delete posts (routes: shared/contracts/openapi.yaml)."""

import flask
import functions_framework

from shared.bootstrap import container
from shared.services.posts import build_router

_router = build_router(container())


@functions_framework.http
def posts(request: flask.Request) -> flask.Response:
    return _router.dispatch(request)
