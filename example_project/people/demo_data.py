"""The demo's members and their conversations: an artist's team around a first album.

Passwords are fixed and printed on purpose: this data only ever lives on a developer's machine.
"""

from __future__ import annotations

from typing import NamedTuple


class DemoPerson(NamedTuple):
    username: str
    first_name: str
    last_name: str
    role: str
    city: str
    bio: str

    @property
    def password(self) -> str:
        return f"{self.username}-demo"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


DEMO_PEOPLE = [
    DemoPerson(
        "nova",
        "Nova",
        "Reyes",
        "artist",
        "Lisbon",
        "Singer-songwriter. Finishing a first album of late-night synth pop.",
    ),
    DemoPerson(
        "marcus",
        "Marcus",
        "Hale",
        "manager",
        "London",
        "Artist manager: tours, deals, and making sure everybody gets paid.",
    ),
    DemoPerson(
        "iris",
        "Iris",
        "Okafor",
        "producer",
        "Berlin",
        "Producer and mixing engineer. Analog synths, tape, too many plugins.",
    ),
    DemoPerson(
        "theo",
        "Theo",
        "Lindqvist",
        "songwriter",
        "Stockholm",
        "Topliner and co-writer. Happy to jump on a session at short notice.",
    ),
    DemoPerson(
        "sam",
        "Sam",
        "Ortega",
        "engineer",
        "Madrid",
        "Mastering and live sound. Will tell you when the low end is too much.",
    ),
    DemoPerson(
        "dana",
        "Dana",
        "Kim",
        "agent",
        "New York",
        "Booking agent for festivals and club tours across Europe and the US.",
    ),
]

#: Each conversation: who said what, in order. Every line's speaker is one of the pair.
DEMO_CONVERSATIONS: list[list[tuple[str, str]]] = [
    [
        ("marcus", "Lisbon and Porto are confirmed for March. Dana is working on Madrid."),
        ("nova", "Amazing! Do we have a support act yet?"),
        ("marcus", "Two options, I'll send you their links tonight."),
        ("marcus", "Also: the label wants the album artwork by Friday."),
    ],
    [
        ("iris", "Mix v3 of 'Neon Tide' is up. I pulled the vocal forward in the chorus."),
        ("nova", "The bridge finally breathes. Can the snare sit a little lower?"),
        ("iris", "Done, v4 in ten minutes."),
    ],
    [
        ("theo", "I have a hook for the last track. Free on Thursday?"),
        ("nova", "Thursday works. Studio B at 2?"),
        ("theo", "See you there. Bringing the old Juno."),
    ],
    [
        ("iris", "Stems for the album are in the shared folder, 24-bit/48k."),
        ("sam", "Got them. Mastering the first four tracks this weekend."),
    ],
    [
        ("dana", "Madrid is a yes: Sala Sol, 14 March."),
        ("marcus", "Perfect. Send me the contract when you have it."),
    ],
]
