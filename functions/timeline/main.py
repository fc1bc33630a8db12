"""HTTP function `timeline`: home and user timelines."""

import flask
import functions_framework

from shared import bootstrap

_handle = bootstrap.http_function("timeline")


@functions_framework.http
def timeline(request: flask.Request) -> flask.Response:
    return _handle(request)
