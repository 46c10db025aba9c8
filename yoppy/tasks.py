"""RQ jobs that belong to the site as a whole."""

from __future__ import annotations

from django.core.management import call_command
from django_rq import job


@job("default", timeout=600)
def sessions_clear() -> None:
    """Delete expired sessions (anonymous fans' sessions would otherwise pile up)."""
    call_command("clearsessions")
