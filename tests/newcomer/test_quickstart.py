"""A newcomer follows the README's quickstart, literally, on a brand-new Django project.

The package is built as a wheel and installed in a fresh virtualenv; ``django-admin startproject``
makes the site; then each quickstart step is taken from README.md itself: its shell commands are
run, its ``# settings.py`` / ``# urls.py`` / ``{# templates/... #}`` blocks are added to those
files, its terminals are opened. The only liberties: the wheel stands in for the name on PyPI, and
free ports stand in for 8765 and 8000. If the README stops being true, this test fails.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from contextlib import AbstractContextManager
from pathlib import Path

import jwt
import pytest
import requests
from stream_chat import StreamChat

from .support import (
    REPO,
    Block,
    background,
    clean_env,
    free_port,
    quickstart_steps,
    wait_for_http,
)

pytestmark = [pytest.mark.slow, pytest.mark.newcomer, pytest.mark.timeout(900)]

SERVERS = ("runserver", "django_streaminbox.emulator", "streaminbox_emulator")


def build_wheel(out: Path) -> Path:
    """Build from a copy of the package's own files, leaving the work tree untouched."""
    source = out / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md", "LICENSE", "MANIFEST.in"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "django_streaminbox", source / "django_streaminbox", ignore=ignore)
    dist = out / "dist"
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "pip", "wheel", "--no-deps",
         "--quiet", "--wheel-dir", str(dist), str(source)],
        check=True, env=clean_env(),
    )  # fmt: skip
    (wheel,) = dist.glob("django_streaminbox-*.whl")
    return wheel


def shell(script: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["bash", "-ec", script], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def exported(commands: list[str]) -> dict[str, str]:
    """The variables a terminal's ``export A=1 B=2`` lines set."""
    variables = {}
    for command in commands:
        words = shlex.split(command)
        if words and words[0] == "export":
            variables.update(word.split("=", 1) for word in words[1:])
    return variables


def with_ports(command: str, emulator_port: int, site_port: int) -> str:
    command = command.replace("8765", str(emulator_port))
    if re.search(r"\brunserver\s*$", command):
        command += f" 127.0.0.1:{site_port}"
    return command


def test_the_quickstart_works_on_a_new_project(tmp_path: Path) -> None:
    steps = quickstart_steps()
    assert len(steps) == 5, "the quickstart promises five steps"
    install, *edits, run = steps
    emulator_port, site_port = free_port(), free_port()
    venv = tmp_path / "venv"
    env = clean_env(VIRTUAL_ENV=str(venv))
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"  # an activated virtualenv

    # Step 1: install (the wheel built from this tree stands in for the name on PyPI).
    (install_block,) = install
    (command,) = install_block.commands
    assert re.fullmatch(r"python -m pip install django-streaminbox", command), command
    wheel = build_wheel(tmp_path)
    subprocess.run(["python3", "-m", "venv", str(venv)], check=True, env=env)
    shell(command.replace("django-streaminbox", shlex.quote(str(wheel))), tmp_path, env)

    shell("django-admin startproject mysite", tmp_path, env)
    site = tmp_path / "mysite"

    # Steps 2 to 4: add each block to the file it names.
    for block in [block for step in edits for block in step]:
        assert block.target, f"a quickstart block does not say which file it goes in:\n{block.text}"
        path = site / block.target
        if not path.exists() and (site / "mysite" / block.target).exists():
            path = site / "mysite" / block.target
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write("\n" + block.text)

    # Step 5: one terminal per console block; those ending in a server keep running.
    terminals = [block for block in run if block.language == "console"]
    assert terminals, "the last step runs nothing"
    server_env: dict[str, str] = {}
    with_servers = [t for t in terminals if any(s in t.commands[-1] for s in SERVERS)]
    assert len(with_servers) == 2, "step 5 should start the emulator and the site"
    logs = [tmp_path / "terminal-1.log", tmp_path / "terminal-2.log"]
    with (
        open_terminal(with_servers[0], site, env, logs[0], emulator_port, site_port) as first,
        open_terminal(with_servers[1], site, env, logs[1], emulator_port, site_port) as second,
    ):
        for process, terminal, log in zip((first, second), with_servers, logs, strict=True):
            server_env.update(exported(terminal.commands))
            port = site_port if "runserver" in terminal.commands[-1] else emulator_port
            wait_for_http(f"http://127.0.0.1:{port}/", process, 120, log)
        check_the_site(site, env | server_env, site_port, emulator_port, server_env)


def open_terminal(
    terminal: Block, site: Path, env: dict[str, str], log: Path, emulator_port: int, site_port: int
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    *setup, server = [with_ports(c, emulator_port, site_port) for c in terminal.commands]
    script = "set -e\n" + "\n".join([*setup, f"exec {server}"])
    return background(["bash", "-c", script], site, env, log)


def check_the_site(
    site: Path,
    env: dict[str, str],
    site_port: int,
    emulator_port: int,
    exported_env: dict[str, str],
) -> None:
    """A logged-in user gets the inbox page, a token, and a conversation, as the README says."""
    created = shell(
        "python manage.py shell -c " + shlex.quote(
            "import json; from django.contrib.auth.models import User;"
            "me = User.objects.create_superuser('newcomer', 'n@example.com', 'pass-word-1234');"
            "friend = User.objects.create_user('friend', first_name='Fran', last_name='Friend');"
            "print(json.dumps({'me': str(me.pk), 'friend': str(friend.pk)}))"
        ),
        site, env,
    )  # fmt: skip
    ids = json.loads(created.strip().splitlines()[-1])
    url = f"http://127.0.0.1:{site_port}"
    browser = requests.Session()
    browser.get(f"{url}/admin/login/", timeout=10).raise_for_status()
    login = browser.post(
        f"{url}/admin/login/?next=/admin/",
        data={
            "username": "newcomer",
            "password": "pass-word-1234",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 302, login.text[:500]

    page = browser.get(f"{url}/messages/", timeout=10)
    assert page.status_code == 200
    assert "<nav>" in page.text and "My site" in page.text  # inside the README's base.html
    assert 'data-streaminbox="inbox"' in page.text
    nav = page.text.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert 'data-streaminbox="badge"' in nav  # step 4's unread badge
    assert exported_env["STREAMINBOX_API_SECRET"] not in page.text

    csrf = {"X-CSRFToken": browser.cookies["csrftoken"], "Referer": f"{url}/messages/"}
    token = browser.post(f"{url}/messages/token/", headers=csrf, timeout=10)
    assert token.status_code == 200, token.text
    body = token.json()
    assert set(body) >= {"token", "api_key", "user_id", "expires_at", "base_url"}
    assert body["api_key"] == exported_env["STREAMINBOX_API_KEY"]
    assert body["user_id"] == ids["me"]
    assert body["base_url"] == f"http://127.0.0.1:{emulator_port}"
    claims = jwt.decode(body["token"], exported_env["STREAMINBOX_API_SECRET"], algorithms=["HS256"])
    assert claims["user_id"] == ids["me"]

    channel = browser.post(
        f"{url}/messages/channel/", json={"user_id": ids["friend"]}, headers=csrf, timeout=10
    )
    assert channel.status_code in (200, 201), channel.text
    answer = channel.json()
    assert answer["members"] == sorted([ids["me"], ids["friend"]])
    assert answer["cid"] == f"{answer['channel_type']}:{answer['channel_id']}"

    # The conversation really exists in the emulator, with exactly these two members.
    stream = StreamChat(
        api_key=exported_env["STREAMINBOX_API_KEY"],
        api_secret=exported_env["STREAMINBOX_API_SECRET"],
        base_url=f"http://127.0.0.1:{emulator_port}",
    )
    found = stream.query_channels({"cid": answer["cid"]})["channels"]
    assert len(found) == 1
    members = sorted(m["user_id"] for m in found[0]["members"])
    assert members == sorted([ids["me"], ids["friend"]])
    names = {u["id"]: u.get("name") for u in stream.query_users({"id": ids["friend"]})["users"]}
    assert names == {ids["friend"]: "Fran Friend"}  # synced when saved, name and no email
