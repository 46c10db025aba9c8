"""`make run`: bring the whole product up on this machine, and down again on Ctrl-C."""

from __future__ import annotations

import ipaddress
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from yoppy import embedded
from yoppy.env import env_int, env_str

DEMO_ADMIN_EMAIL = "admin@yoppy.local"
# A child that dies is started again after 1 s, then 2, 4 ... up to this; a child that ran this
# long before dying starts again from 1 s (one crash an hour is not a crash loop).
RESTART_MAX_DELAY_S = 30.0
RESTART_RESET_AFTER_S = 60.0


def restart_delay_s(failures: int) -> float:
    """Seconds to wait before the ``failures``-th restart in a row (1, 2, 4, ... capped)."""
    return min(2.0 ** max(failures - 1, 0), RESTART_MAX_DELAY_S)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def worker_queue_groups(spec: str) -> list[list[str]]:
    """``"ingest;chat,billing,bots,default"`` -> one worker per group, listening to its queues.

    Raises CommandError for a queue that is not configured in RQ_QUEUES, or an empty spec.
    """
    groups = [[q.strip() for q in group.split(",") if q.strip()] for group in spec.split(";")]
    groups = [group for group in groups if group]
    if not groups:
        raise CommandError("YOPPY_WORKER_QUEUES names no queue; e.g. ingest;chat,billing,bots,default")
    unknown = sorted({q for group in groups for q in group} - set(settings.RQ_QUEUES))
    if unknown:
        raise CommandError(
            f"YOPPY_WORKER_QUEUES names unknown queue(s) {', '.join(unknown)}; "
            f"the queues are {', '.join(settings.RQ_QUEUES)}."
        )
    missing = sorted(set(settings.RQ_QUEUES) - {q for group in groups for q in group})
    if missing:
        raise CommandError(f"YOPPY_WORKER_QUEUES leaves queue(s) {', '.join(missing)} without a worker.")
    return groups


@dataclass
class Child:
    """One supervised process of `up` and its restart bookkeeping."""

    name: str
    cmd: list[str]
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, cwd=settings.BASE_DIR, env=self.env)
        self.started_at = time.monotonic()
        self.restart_at = None


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
        parser.add_argument(
            "--worker-queues",
            default=env_str("YOPPY_WORKER_QUEUES", "ingest;chat,billing,bots,default"),
            help="RQ workers: one per ';'-separated group of ','-separated queues (YOPPY_WORKER_QUEUES)",
        )

    def handle(self, *args, host: str, port: int, workers: int, worker_queues: str, **options) -> None:
        if settings.DEBUG and not is_loopback(host):
            # DEBUG's error pages show settings and source to whoever triggers an error.
            raise CommandError(
                f"Refusing to serve {host} with DEBUG on: debug pages would show your settings to "
                f"anyone who can reach it. Serve 127.0.0.1 (the default), or set DEBUG=0 (with "
                f"SECRET_KEY and ALLOWED_HOSTS) to serve other machines."
            )
        queue_groups = worker_queue_groups(worker_queues)
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
            "scheduler": [python, manage, "scheduler"],
        }  # fmt: skip
        # One worker per group of queues (item 13 of issue 10): a creator's hour of ingestion
        # waits in its own worker while chat, billing and bot jobs keep moving in the other.
        # yoppy.worker.Worker runs jobs in the worker process itself (the embedding model is
        # loaded once per worker) and recycles database connections around each job.
        for group in queue_groups:
            commands[f"worker-{group[0]}"] = [
                python, manage, "rqworker", *group, "--with-scheduler",
                "--serializer", "rq.serializers.JSONSerializer", "--worker-class", "yoppy.worker.Worker",
            ]  # fmt: skip
        children = {
            name: Child(name, cmd, env=web_environment(workers=workers) if name == "web" else None)
            for name, cmd in commands.items()
        }
        for child in children.values():
            child.start()

        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104  # nosec B104  # a comparison for the printed URL, not a bind
        url = f"http://{shown_host}:{port}/"
        self.stdout.write(self.style.SUCCESS(f"\nYoppy is up: {url}"))
        self.stdout.write(f"Admin: {url}admin/  ({email} / {password})")
        self.stdout.write(
            f"Web: {workers} uvicorn worker process{'es' if workers > 1 else ''} (WEB_CONCURRENCY)."
        )
        self.stdout.write(
            "Workers: " + "; ".join(", ".join(group) for group in queue_groups) + " (YOPPY_WORKER_QUEUES)."
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
                self._supervise(children.values())
                time.sleep(0.2)
        finally:
            self._stop(children)

    def _supervise(self, children) -> None:
        """Start again, with backoff, each child that exited; say so in the output."""
        now = time.monotonic()
        for child in children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    child.start()
                    self.stdout.write(f"Restarted the {child.name} process (restart {child.restarts}).")
                continue
            code = child.proc.poll()
            if code is None:
                continue
            if now - child.started_at >= RESTART_RESET_AFTER_S:
                child.failures = 0
            child.failures += 1
            delay = restart_delay_s(child.failures)
            child.restart_at = now + delay
            self.stderr.write(f"The {child.name} process exited ({code}); restarting it in {delay:.0f} s.")

    def _stop(self, children: dict[str, Child]) -> None:
        running = [child.proc for child in children.values() if child.proc is not None]
        for proc in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in running:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
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
