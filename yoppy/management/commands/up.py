"""`make run`: bring the whole product up on this machine, and down again on Ctrl-C."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from yoppy import embedded
from yoppy.env import env_int, env_str

DEMO_ADMIN_EMAIL = "admin@yoppy.local"


def web_environment(*, workers: int) -> dict[str, str]:
    """The environment of the web processes: this one's, with the cores shared out between them.

    Each web process embeds fans' questions with its own torch thread team. Teams of all the
    cores in every process spin against each other: on 2 cores, 2 processes with 2 threads each
    used ~30 % more CPU in bench/streaming.py than with 1 thread each, and answered later. An
    explicit EMBEDDING_THREADS is kept.
    """
    env = dict(os.environ)
    if settings.EMBEDDING_THREADS is None:
        env["EMBEDDING_THREADS"] = str(max(1, settings.CPU_CORES // workers))
    return env


class Command(BaseCommand):
    help = (
        "Start the embedded services (when DATABASE_URL/REDIS_URL are unset), migrate, create the "
        "demo superuser once, then serve web + RQ worker + scheduler until Ctrl-C."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=env_str("YOPPY_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("YOPPY_PORT", 8000, minimum=1))
        parser.add_argument(
            "--workers", type=int, default=settings.WEB_CONCURRENCY, help="web processes (WEB_CONCURRENCY)"
        )

    def handle(self, *args, host: str, port: int, workers: int, **options) -> None:
        for service in settings.EMBEDDED_SERVICES:
            state = "started" if service.started else "already running"
            self.stdout.write(f"Embedded {service.name}: {state} on 127.0.0.1:{service.port}")

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        email, password = self._demo_superuser()
        self._load_demo_data()

        if not embedded.port_is_free(port, host):
            chosen = embedded.free_port(host)
            self.stdout.write(f"Port {port} is busy; serving on {chosen} instead.")
            port = chosen

        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "web": [python, "-m", "uvicorn", "yoppy.asgi:application", "--host", host, "--port", str(port),
                    "--workers", str(workers), "--timeout-graceful-shutdown", "5"],
            # SimpleWorker runs jobs in the worker process itself, so the embedding model is
            # loaded once per worker, not once per job in a fresh fork.
            "worker": [python, manage, "rqworker", "ingest", "chat", "billing", "bots", "default",
                       "--with-scheduler", "--serializer", "rq.serializers.JSONSerializer",
                       "--worker-class", "rq.worker.SimpleWorker"],
            "scheduler": [python, manage, "scheduler"],
        }  # fmt: skip
        children = {
            name: subprocess.Popen(
                cmd, cwd=settings.BASE_DIR, env=web_environment(workers=workers) if name == "web" else None
            )
            for name, cmd in commands.items()
        }

        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
        url = f"http://{shown_host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nYoppy is up: {url}"))
        self.stdout.write(f"Admin: {url}admin/  ({email} / {password})")
        self.stdout.write(
            f"Web: {workers} uvicorn worker process{'es' if workers > 1 else ''} (WEB_CONCURRENCY)."
        )
        self.stdout.write("Press Ctrl-C to stop.\n")

        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"The {name} process exited ({child.returncode}); stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            self._stop(children)

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
        # Only what this run started is stopped; the data stays in var/.
        for service in settings.EMBEDDED_SERVICES:
            if service.started:
                stop = embedded.postgres_stop if service.name == "postgres" else embedded.redis_stop
                stop(settings.VAR_DIR / service.name)
                self.stdout.write(f"Stopped embedded {service.name}.")

    def _demo_superuser(self) -> tuple[str, str]:
        """Create the demo superuser once; its password is kept in var/ and printed every run."""
        secret_file = settings.VAR_DIR / "demo-admin.txt"
        User = get_user_model()
        lines = secret_file.read_text().split() if secret_file.exists() else []
        if lines and User.objects.filter(email=DEMO_ADMIN_EMAIL).exists():
            # Older files hold the password alone; newer ones the e-mail, then the password.
            password = lines[-1]
            if lines[:1] != [DEMO_ADMIN_EMAIL]:
                self._write_demo_admin_file(secret_file, password)
            return DEMO_ADMIN_EMAIL, password
        password = secrets.token_urlsafe(12)
        user = User.objects.filter(email=DEMO_ADMIN_EMAIL).first()
        if user is None:
            User.objects.create_superuser(email=DEMO_ADMIN_EMAIL, password=password, name="Demo admin")
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        self._write_demo_admin_file(secret_file, password)
        self.stdout.write(f"Created demo superuser {DEMO_ADMIN_EMAIL}.")
        return DEMO_ADMIN_EMAIL, password

    @staticmethod
    def _write_demo_admin_file(secret_file, password: str) -> None:
        # The e-mail beside the password: an operator reading the file can log in with it alone.
        secret_file.write_text(f"{DEMO_ADMIN_EMAIL}\n{password}\n")
        secret_file.chmod(0o600)

    def _load_demo_data(self) -> None:
        """Load the demo content of each app that ships some (management commands named load_demo_*)."""
        from django.core.management import get_commands

        for name in sorted(get_commands()):
            if name.startswith("load_demo_"):
                call_command(name)
