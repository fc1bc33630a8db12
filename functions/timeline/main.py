"""HTTP function `timeline`: home and user timelines (routes: shared/contracts/openapi.yaml)."""

import flask
import functions_framework

from shared.bootstrap import container
from shared.services.timeline import build_router

_router = build_router(container())


@functions_framework.http
def timeline(request: flask.Request) -> flask.Response:
    return _router.dispatch(request)
