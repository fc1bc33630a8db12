"""HTTP function `posts`: create, read and delete posts."""

import flask
import functions_framework

from shared import bootstrap

_handle = bootstrap.http_function("posts")


@functions_framework.http
def posts(request: flask.Request) -> flask.Response:
    return _handle(request)
