"""HTTP function `users`: profiles, follows, follower lists, suggestions."""

import flask
import functions_framework

from shared import bootstrap

_handle = bootstrap.http_function("users")


@functions_framework.http
def users(request: flask.Request) -> flask.Response:
    return _handle(request)
