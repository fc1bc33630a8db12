"""HTTP function `notifications`: the caller's notifications, unread count and read mark."""

import flask
import functions_framework

from shared import bootstrap

_handle = bootstrap.http_function("notifications")


@functions_framework.http
def notifications(request: flask.Request) -> flask.Response:
    return _handle(request)
