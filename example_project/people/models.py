"""A member's public profile: what the people page and the profile pages show."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ARTIST = "artist", "Artist"
    MANAGER = "manager", "Manager"
    PRODUCER = "producer", "Producer"
    SONGWRITER = "songwriter", "Songwriter"
    ENGINEER = "engineer", "Sound engineer"
    AGENT = "agent", "Booking agent"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ARTIST)
    city = models.CharField(max_length=80, blank=True)
    bio = models.TextField(blank=True)

    class Meta:
        ordering = ["user__first_name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"

    @property
    def initials(self) -> str:
        """Two letters for the avatar circle, from the full name or the username."""
        name = self.user.get_full_name() or self.user.get_username()
        return "".join(part[0] for part in name.split()[:2]).upper()
