"""``manage.py seed_demo``: the demo members and their conversations, through the real Stream SDK.

Safe to run again and again: members that exist are kept as they are (passwords included), and a
conversation gets its history only when Stream has no message in it yet, so a fresh emulator data
file, or a switch from the emulator to a real Stream app, is seeded again while the database stays.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.management.base import BaseCommand, CommandParser

from django_streaminbox.channels import get_or_create_direct_channel
from django_streaminbox.client import get_client
from django_streaminbox.sync import disable_sync, sync_users
from django_streaminbox.users import stream_user_id
from people.demo_data import DEMO_CONVERSATIONS, DEMO_PEOPLE, DemoPerson
from people.models import Profile


class Command(BaseCommand):
    help = "Create the demo members (printed with their passwords) and a few conversations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        with disable_sync():  # one batched upsert below instead of one call per save
            members = {person.username: ensure_member(person) for person in DEMO_PEOPLE}
        sync_users(members.values())
        seeded = sum(seed_conversation(lines, members) for lines in DEMO_CONVERSATIONS)
        if not options["quiet"]:
            self.stdout.write(f"{len(members)} members, {seeded} conversations seeded now.")
            for person in DEMO_PEOPLE:
                self.stdout.write(
                    f"  {person.username:<8} password {person.password:<14} {person.role}"
                )


def ensure_member(person: DemoPerson) -> AbstractUser:
    user, created = get_user_model().objects.get_or_create(
        username=person.username,
        defaults={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": f"{person.username}@artist-suite.example",
        },
    )
    if created:
        user.set_password(person.password)
        user.save(update_fields=["password"])
    Profile.objects.get_or_create(
        user=user, defaults={"role": person.role, "city": person.city, "bio": person.bio}
    )
    return user  # type: ignore[no-any-return]


def seed_conversation(lines: list[tuple[str, str]], members: dict[str, AbstractUser]) -> bool:
    """Send the history of one conversation unless it has some already; True if it was sent."""
    first, *others = dict.fromkeys(speaker for speaker, _text in lines)
    second = others[0]
    direct = get_or_create_direct_channel(members[first], members[second])
    channel = get_client().channel(direct.channel_type, direct.channel_id)
    if channel.query(messages={"limit": 1}).get("messages"):
        return False
    for speaker, text in lines:
        user_id = stream_user_id(members[speaker])
        channel.mark_read(user_id)  # people read what came before they answer
        channel.send_message({"text": text}, user_id)
    return True
