"""The example site's own pages: home, the people directory and profiles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic import DetailView, ListView

from .demo_data import DEMO_PEOPLE
from .models import Profile, Role


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"demo_people": DEMO_PEOPLE})


class PersonListView(LoginRequiredMixin, ListView):  # type: ignore[type-arg]
    """Everyone on the site, optionally one role only (``?role=producer``)."""

    template_name = "people/person_list.html"
    context_object_name = "profiles"

    def get_queryset(self) -> QuerySet[Profile]:
        profiles = Profile.objects.select_related("user").filter(user__is_active=True)
        role = self.request.GET.get("role", "")
        if role in Role.values:
            profiles = profiles.filter(role=role)
        return profiles

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["roles"] = Role.choices
        context["current_role"] = self.request.GET.get("role", "")
        return context


class ProfileView(LoginRequiredMixin, DetailView):  # type: ignore[type-arg]
    """One member's page, with the "Message" button."""

    template_name = "people/profile.html"
    context_object_name = "person"
    slug_field = "username"
    slug_url_kwarg = "username"

    def get_queryset(self) -> QuerySet[Any]:
        return get_user_model().objects.filter(is_active=True).select_related("profile")
