"""HTTP function `search`: post and people search, hashtag pages and trends (issue 22)."""

import flask
import functions_framework

from shared import bootstrap

_handle = bootstrap.http_function("search")


@functions_framework.http
def search(request: flask.Request) -> flask.Response:
    return _handle(request)
