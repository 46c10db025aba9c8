"""The Content-Security-Policy: django-csp's middleware with the operators' console relaxed.

The site itself runs only its own script files (no inline handlers, no eval), so an injected
``<script>`` or ``onerror=`` runs nothing. The staff-only console is the exception: django-rq's
job pages carry inline ``<script>`` blocks and Django's admin inline ``style`` attributes, and
neither can take a nonce, so under /admin/ those are allowed and nowhere else.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase

_ADMIN_PREFIX = "/admin/"
_RQ_ADMIN_PREFIX = "/admin/rq/"


class YoppyCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        path = request.path_info
        if path.startswith(_ADMIN_PREFIX) and parts.replace is None:
            # 'unsafe-inline' is ignored by browsers once a nonce is in the same directive, so
            # the admin's directives are replaced, not extended.
            replace = {"style-src": [SELF, UNSAFE_INLINE]}
            if path.startswith(_RQ_ADMIN_PREFIX):
                replace["script-src"] = [SELF, UNSAFE_INLINE]
            parts.replace = replace
        return parts
