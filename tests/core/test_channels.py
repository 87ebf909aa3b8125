"""Deterministic direct-channel ids: the same for a pair whoever asks, valid for Stream, never
shared by two pairs."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from django_streaminbox.channels import (
    MAX_CHANNEL_ID_LENGTH,
    direct_channel_id,
    get_or_create_direct_channel,
)

from .conftest import create_user

#: Stream's rule, written out here rather than imported from the code under test.
STREAM_CHANNEL_ID = re.compile(r"^[A-Za-z0-9_!-]{1,64}$")
stream_user_ids = st.from_regex(r"^[A-Za-z0-9@_-]{1,255}$", fullmatch=True)


def test_readable_for_integer_keys() -> None:
    assert direct_channel_id("12", "4") == "dm-12-4"
    assert direct_channel_id("4", "12") == "dm-12-4", "sorted: the order of asking is irrelevant"
    assert direct_channel_id("4", "12", prefix="pm") == "pm-12-4"


def test_hashed_for_uuid_keys_and_within_64_characters() -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    channel_id = direct_channel_id(a, b)
    assert channel_id == direct_channel_id(b, a)
    assert len(channel_id) <= MAX_CHANNEL_ID_LENGTH
    assert STREAM_CHANNEL_ID.match(channel_id)
    assert channel_id.startswith("dm-")
    assert a not in channel_id


def test_ids_with_dashes_cannot_collide() -> None:
    """Readable ids would make ("a-b", "c") and ("a", "b-c") both "dm-a-b-c"."""
    assert direct_channel_id("a-b", "c") != direct_channel_id("a", "b-c")


def test_ids_stream_forbids_in_channel_ids_are_hashed() -> None:
    channel_id = direct_channel_id("ada@example", "bob")
    assert STREAM_CHANNEL_ID.match(channel_id)
    assert "@" not in channel_id


def test_settings_prefix(settings: Any) -> None:
    settings.STREAMINBOX_CHANNEL_ID_PREFIX = "chat"
    assert direct_channel_id("1", "2") == "chat-1-2"


@given(stream_user_ids, stream_user_ids)
def test_any_pair_gives_one_valid_id_either_way(a: str, b: str) -> None:
    channel_id = direct_channel_id(a, b)
    assert channel_id == direct_channel_id(b, a)
    assert STREAM_CHANNEL_ID.match(channel_id), channel_id


@given(st.lists(stream_user_ids, min_size=2, max_size=8, unique=True))
def test_different_pairs_never_share_an_id(ids: list[str]) -> None:
    pairs = {frozenset(p) for p in itertools.combinations(ids, 2)}
    channel_ids = {direct_channel_id(*sorted(p)) for p in pairs}
    assert len(channel_ids) == len(pairs)


@pytest.mark.django_db
def test_get_or_create_refuses_an_invalid_channel_id(emulator: Any) -> None:
    ada, bob = create_user(), create_user()
    with pytest.raises(ValueError, match="not a valid Stream channel id"):
        get_or_create_direct_channel(ada, bob, channel_id="has:colon")
