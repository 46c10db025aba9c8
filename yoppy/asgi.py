"""ASGI entry point: served by uvicorn so streamed answers (SSE) do not hold a worker thread each."""

import os
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
django_application = get_asgi_application()

from bots.gateway import WebhookGateway  # noqa: E402  (needs the settings above)
from yoppy.http.body_limit import BodyLimitMiddleware  # noqa: E402

# Oversized bodies are refused here, before Django spools them to disk (yoppy/http/body_limit.py);
# the messengers' webhooks are answered next to Django's handler, not through it (bots/gateway.py).
application = BodyLimitMiddleware(WebhookGateway(django_application))


def _warm() -> None:
    from yoppy.ai.embeddings import embedding_warm

    embedding_warm()


# Each web process loads the embedding model while it starts serving, not when its first fan asks
# (bench/streaming.py, 2 processes: first token p95 11.3 s when one of them started cold, 3.3 s warm).
threading.Thread(target=_warm, name="embedding-warm", daemon=True).start()
