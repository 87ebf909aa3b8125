"""URLs of the benchmark site: the package at /messages/, the baselines beside it under /_bench/."""

from __future__ import annotations

from pathlib import Path

from django.urls import include, path, re_path
from django.views.static import serve

from . import baselines

ROOT = Path(__file__).resolve().parent.parent

urlpatterns = [
    path("messages/", include("django_streaminbox.urls")),
    path("_bench/floor/token/", baselines.floor_token, name="bench-floor-token"),
    path("_bench/hand-rolled/token/", baselines.hand_rolled_token, name="bench-hand-rolled-token"),
    path(
        "_bench/hand-rolled/channel/",
        baselines.hand_rolled_channel,
        name="bench-hand-rolled-channel",
    ),
    path("_bench/inbox-floor/", baselines.inbox_floor, name="bench-inbox-floor"),
    re_path(r"^_bench/sdk/(?P<path>.*)$", serve, {"document_root": ROOT / "build" / "sdk"}),
    re_path(
        r"^static/streaminbox/(?P<path>.*)$",
        serve,
        {"document_root": ROOT / "django_streaminbox" / "static" / "streaminbox"},
    ),
]
