from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from django_streaminbox import sync

TEMPLATES_DIR = Path(__file__).parent / "templates"


@pytest.fixture
def site_templates(settings: Any) -> None:
    """The test site's own templates (a base with a ``main`` block) next to the app's."""
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [TEMPLATES_DIR]},
    ]


@pytest.fixture
def make_user(db: None) -> Any:
    def make(username: str, **fields: Any) -> Any:
        with sync.disable_sync():
            return get_user_model().objects.create_user(username, password="pw", **fields)

    return make
