"""What Django's error reports (the DEBUG technical page, error e-mails) may show."""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class SecretHidingFilter(SafeExceptionReporterFilter):
    # Django's own words (API, TOKEN, KEY, SECRET, PASS, SIGNATURE, HTTP_COOKIE) plus every name
    # that holds a connection string with credentials in it: DATABASE_URL, REDIS_URL, CACHES
    # (LOCATION), RQ_QUEUES (URL), EMBEDDED_SERVICES (their URLs), DATABASES.
    hidden_settings = re.compile(
        "API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|DATABASE|LOCATION|CACHES|RQ_QUEUES|EMBEDDED",
        flags=re.IGNORECASE,
    )
