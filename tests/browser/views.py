"""The test site's own pages: a profile page with a "Message" button, and a strict-CSP inbox."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from django_streaminbox.views import InboxView


def profile(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=pk)
    return render(request, "site/profile.html", {"profile": user})


def dashboard(request: HttpRequest) -> HttpResponse:
    """A page of the site's own with the inbox and "Message" buttons side by side."""
    people = get_user_model().objects.exclude(pk=request.user.pk).order_by("pk")
    return render(request, "site/dashboard.html", {"people": people})


class StrictCSPInboxView(InboxView):
    """The inbox under a Content-Security-Policy that runs only scripts carrying its nonce."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        self.nonce = secrets.token_urlsafe(16)
        response = super().dispatch(request, *args, **kwargs)
        stream = settings.STREAMINBOX_BASE_URL
        response["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{self.nonce}'; "
            f"style-src 'self' 'nonce-{self.nonce}'; img-src 'self' data:; "
            f"connect-src 'self' {stream} {stream.replace('http', 'ws', 1)}; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        )
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "csp_nonce": self.nonce, "csp_test": True}
