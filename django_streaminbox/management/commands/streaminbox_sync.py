"""``manage.py streaminbox_sync``: send the site's users to Stream, e.g. once after installing.

Users are read with ``iterator()`` (a million users never sit in memory) and sent 100 per call.
By default only users whose data changed since their last sync go out; ``--all`` sends everyone.
The run paces itself by Stream's rate-limit headers and, on a 429, waits until
``x-ratelimit-reset`` and retries the batch. Exit status 1 when any batch failed.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...sync import BATCH_SIZE, SyncReport, sync_users


class Command(BaseCommand):
    help = "Send the site's users to Stream (only those whose data changed, unless --all)."

    #: How the command waits for Stream's rate-limit window; replaceable in a subclass.
    sleep = staticmethod(time.sleep)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--active", action="store_true", help="Only active users.")
        parser.add_argument(
            "--ids", nargs="+", metavar="PK", help="Only these users (primary keys)."
        )
        parser.add_argument("--all", action="store_true", help="Send every user, changed or not.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be sent; call nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        model = get_user_model()
        users = model._default_manager.order_by("pk")
        if options["active"]:
            users = users.filter(is_active=True)
        if options["ids"]:
            users = users.filter(pk__in=self.parse_ids(model, options["ids"]))
        self.progress = self.stdout.isatty()
        report = sync_users(
            users.iterator(chunk_size=BATCH_SIZE * 5),
            force=options["all"],
            dry_run=options["dry_run"],
            raise_errors=False,
            wait_on_rate_limit=True,
            on_batch=self.show_progress,
            sleep=self.sleep,
        )
        if self.progress:
            self.stdout.write("")
        self.stdout.write(self.summary(report, dry_run=options["dry_run"]))
        if report.failed_batches:
            raise CommandError(
                f"{report.failed_batches} batch(es) failed: {report.errors[0]}"
                " (their users are sent again by the next run)."
            )

    def parse_ids(self, model: Any, ids: list[str]) -> list[Any]:
        values = [part for value in ids for part in value.split(",") if part]
        try:
            return [model._meta.pk.to_python(value) for value in values]
        except Exception as exc:
            raise CommandError(f"--ids: {exc}") from exc

    def show_progress(self, report: SyncReport) -> None:
        if self.progress:
            self.stdout.write(
                f"\r{report.sent} sent, {report.unchanged} unchanged, {report.failed} failed",
                ending="",
            )
            self.stdout.flush()

    def summary(self, report: SyncReport, *, dry_run: bool) -> str:
        verb = "Would send" if dry_run else "Sent"
        line = (
            f"{verb} {report.sent} user(s) in {report.batches} batch(es); "
            f"{report.unchanged} unchanged, {report.failed} failed"
        )
        if report.rate_limit_waits:
            line += f"; waited {report.rate_limit_waits} time(s) for Stream's rate limit"
        return line + "."
