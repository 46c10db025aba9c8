"""ASGI entry point: served by uvicorn so streamed answers (SSE) do not hold a worker thread each."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
application = get_asgi_application()
