"""Middleware of the benchmark site only: says which server process answered.

With several gunicorn workers, each has its own local-memory cache, so each must have answered once
before a request's Stream calls can be counted (the harness warms until every pid has been seen).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def worker_pid(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    pid = str(os.getpid())

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response["X-Bench-Worker"] = pid
        return response

    return middleware
