"""System checks: misconfiguration is reported with stable ids, never raised at start-up."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command

CALLABLE = "tests.core.test_checks.a_callable"


def a_callable(user: Any) -> str:
    return "x"


NOT_CALLABLE = 42


def ids(**kwargs: Any) -> list[str]:
    return sorted(m.id for m in run_checks(**kwargs) if m.id and m.id.startswith("streaminbox"))


def test_a_correct_configuration_passes() -> None:
    assert ids() == []
    assert ids(include_deployment_checks=True) == []


def test_missing_credentials_warn_and_fail_the_deploy_check(settings: Any) -> None:
    settings.STREAMINBOX_API_KEY = ""
    settings.STREAMINBOX_API_SECRET = ""
    assert ids() == ["streaminbox.W001"]
    deploy = ids(include_deployment_checks=True)
    assert deploy == ["streaminbox.E001", "streaminbox.E002", "streaminbox.W001"]


def test_check_and_collectstatic_run_without_secrets(settings: Any, tmp_path: Any) -> None:
    settings.STREAMINBOX_API_KEY = ""
    settings.STREAMINBOX_API_SECRET = ""
    settings.STATIC_ROOT = str(tmp_path)
    call_command("check", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def test_a_short_secret(settings: Any) -> None:
    settings.STREAMINBOX_API_SECRET = "short"
    assert ids() == ["streaminbox.E003"]


@pytest.mark.parametrize("name", ["USER_ID", "USER_DATA", "CAN_MESSAGE", "USER_LOOKUP"])
def test_dotted_paths_must_import_to_a_callable(settings: Any, name: str) -> None:
    setattr(settings, f"STREAMINBOX_{name}", CALLABLE)
    assert ids() == []
    setattr(settings, f"STREAMINBOX_{name}", "tests.core.test_checks.missing")
    assert ids() == ["streaminbox.E004"]
    setattr(settings, f"STREAMINBOX_{name}", "no_such_module.func")
    assert ids() == ["streaminbox.E004"]
    setattr(settings, f"STREAMINBOX_{name}", "tests.core.test_checks.NOT_CALLABLE")
    [message] = [m for m in run_checks() if m.id == "streaminbox.E004"]
    assert "is not callable" in message.msg


def test_on_user_delete_must_be_known(settings: Any) -> None:
    for value in ("deactivate", "delete", "hard_delete", ""):
        settings.STREAMINBOX_ON_USER_DELETE = value
        assert ids() == []
    settings.STREAMINBOX_ON_USER_DELETE = "purge"
    assert ids() == ["streaminbox.E005"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHANNEL_TYPE", "a:b"),
        ("CHANNEL_TYPE", ""),
        ("CHANNEL_ID_PREFIX", "d:m"),
        ("CHANNEL_ID_PREFIX", "x" * 17),
    ],
)
def test_channel_type_and_prefix_follow_streams_rules(settings: Any, name: str, value: str) -> None:
    setattr(settings, f"STREAMINBOX_{name}", value)
    assert ids() == ["streaminbox.E006"]


def test_cache_alias_must_exist(settings: Any) -> None:
    settings.STREAMINBOX_CACHE = "nope"
    assert ids() == ["streaminbox.E007"]


@pytest.mark.parametrize("value", [0, -1, "3", True])
@pytest.mark.parametrize("name", ["TIMEOUT", "TOKEN_TTL"])
def test_timeout_and_ttl_must_be_positive(settings: Any, name: str, value: Any) -> None:
    setattr(settings, f"STREAMINBOX_{name}", value)
    assert ids() == ["streaminbox.E008"]
