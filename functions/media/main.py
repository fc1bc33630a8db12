"""HTTP function `media`: upload sessions, media status, avatars."""

import flask
import functions_framework

from shared import bootstrap

_handle = bootstrap.http_function("media")


@functions_framework.http
def media(request: flask.Request) -> flask.Response:
    return _handle(request)
