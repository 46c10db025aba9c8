"""The embedded PostgreSQL and Redis: start, reuse, stop, and the ways a start can go wrong.

Each test gets its own data directory under tmp_path and its own free ports, so nothing here
touches the servers the rest of the suite runs on.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest
import redis

from yoppy import embedded


@pytest.fixture
def pg_dir(tmp_path: Path):
    data_dir = tmp_path / "postgres"
    yield data_dir
    embedded.postgres_stop(data_dir)


@pytest.fixture
def redis_dir(tmp_path: Path):
    data_dir = tmp_path / "redis"
    yield data_dir
    embedded.redis_stop(data_dir)


@pytest.fixture
def occupied_port():
    """A port some other program is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def _select_one(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT 1").fetchone()[0]


def test_postgres_starts_with_pgvector_and_keeps_data_across_restarts(pg_dir):
    running = embedded.postgres_ensure(pg_dir)
    assert running.started
    with psycopg.connect(running.url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        conn.execute("CREATE TABLE kept (v vector(2))")
        conn.execute("INSERT INTO kept VALUES ('[1,2]')")

    assert embedded.postgres_stop(pg_dir)
    again = embedded.postgres_ensure(pg_dir)

    assert again.started
    with psycopg.connect(again.url) as conn:
        assert conn.execute("SELECT v::text FROM kept").fetchone()[0] == "[1,2]"


def test_a_second_ensure_finds_the_running_postgres_instead_of_starting_another(pg_dir):
    first = embedded.postgres_ensure(pg_dir)
    second = embedded.postgres_ensure(pg_dir)
    assert not second.started
    assert (second.pid, second.port, second.url) == (first.pid, first.port, first.url)


def test_postgres_is_password_protected_on_tcp(pg_dir):
    running = embedded.postgres_ensure(pg_dir)
    wrong = running.url.replace(running.url.split(":")[2].split("@")[0], "wrong-password")
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(wrong)


def test_postgres_recovers_from_a_stale_pid_file_left_by_a_crash(pg_dir):
    running = embedded.postgres_ensure(pg_dir)
    embedded.postgres_stop(pg_dir)
    # A crashed server leaves postmaster.pid behind, naming a pid that is now something else.
    (pg_dir / "postmaster.pid").write_text(
        f"{os.getpid()}\n{pg_dir}\n1700000000\n{running.port}\n\n127.0.0.1\n  1 2\nready\n"
    )

    again = embedded.postgres_ensure(pg_dir)

    assert again.started
    assert _select_one(again.url) == 1


def test_postgres_refuses_a_port_that_another_program_holds(pg_dir, occupied_port):
    with pytest.raises(embedded.EmbeddedServiceError, match=f"port {occupied_port} .* already in use"):
        embedded.postgres_ensure(pg_dir, port=occupied_port)


def test_postgres_moves_to_a_free_port_when_its_previous_one_was_taken(pg_dir):
    first = embedded.postgres_ensure(pg_dir)
    embedded.postgres_stop(pg_dir)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        # The old server's closed connections may sit in TIME_WAIT on that port.
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", first.port))
        squatter.listen(1)
        again = embedded.postgres_ensure(pg_dir)
    assert again.port != first.port
    assert _select_one(again.url) == 1


def test_postgres_refuses_a_data_directory_from_another_version(pg_dir):
    pg_dir.mkdir(parents=True)
    (pg_dir / "PG_VERSION").write_text("15\n")
    with pytest.raises(embedded.EmbeddedServiceError, match="created by PostgreSQL 15.*Move the directory aside"):
        embedded.postgres_ensure(pg_dir)


def test_stopping_a_postgres_that_is_not_running_says_so(pg_dir):
    assert embedded.postgres_stop(pg_dir) is False


def test_redis_starts_persists_and_is_reused(redis_dir):
    running = embedded.redis_ensure(redis_dir)
    assert running.started
    client = redis.Redis.from_url(running.url)
    client.set("kept", "yes")
    assert not embedded.redis_ensure(redis_dir).started

    assert embedded.redis_stop(redis_dir)
    again = embedded.redis_ensure(redis_dir)

    assert again.started
    assert redis.Redis.from_url(again.url).get("kept") == b"yes"


def test_redis_recovers_from_a_stale_pid_file(redis_dir):
    embedded.redis_ensure(redis_dir)
    embedded.redis_stop(redis_dir)
    (redis_dir / "redis.pid").write_text(str(os.getpid()))  # a live pid that is not redis

    again = embedded.redis_ensure(redis_dir)

    assert again.started and again.pid != os.getpid()
    assert redis.Redis.from_url(again.url).ping()


def test_redis_refuses_a_port_that_another_program_holds(redis_dir, occupied_port):
    with pytest.raises(embedded.EmbeddedServiceError, match=f"port {occupied_port} .* already in use"):
        embedded.redis_ensure(redis_dir, port=occupied_port)


def test_redis_refuses_a_data_directory_from_another_major_version(redis_dir):
    redis_dir.mkdir(parents=True)
    (redis_dir / "REDIS_VERSION").write_text("99.0.0")
    with pytest.raises(embedded.EmbeddedServiceError, match="written by Redis 99.0.0"):
        embedded.redis_ensure(redis_dir)


def test_the_redis_pid_is_read_only_once_its_pid_file_is_completely_written(tmp_path):
    """redis-server creates its pid file, then writes "<pid>\\n" into it: a reader in between
    used to get int('')."""
    import threading
    import time

    pid_file = tmp_path / "redis.pid"
    stages = []

    def write_slowly():
        pid_file.write_text("")
        stages.append(time.monotonic())
        time.sleep(0.2)
        pid_file.write_text("4242")
        time.sleep(0.2)
        pid_file.write_text("4242\n")
        stages.append(time.monotonic())

    writer = threading.Thread(target=write_slowly)
    writer.start()
    pid = embedded._pid_file_wait(pid_file, timeout=5)
    read_at = time.monotonic()
    writer.join()

    assert pid == 4242
    assert read_at >= stages[-1]


def test_waiting_for_a_pid_file_that_never_completes_gives_up(tmp_path):
    (tmp_path / "redis.pid").write_text("")
    assert embedded._pid_file_wait(tmp_path / "redis.pid", timeout=0.2) is None


def test_a_started_redis_is_handed_over_only_once_it_has_loaded_its_data():
    """Redis accepts connections while it loads its data file and answers LOADING until then
    (the fault suite's first command after a restart failed so). A server that speaks that part
    of the protocol answers LOADING three times, then PONG."""
    import socket
    import threading

    from yoppy import embedded

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    answers = [b"-LOADING Redis is loading the dataset in memory\r\n"] * 3 + [b"+PONG\r\n"]
    seen = []

    def serve() -> None:
        while answers:
            conn, _ = listener.accept()
            with conn:
                while answers and conn.recv(1024):
                    answer = answers.pop(0)
                    seen.append(answer)
                    conn.sendall(answer)
                    if answer.startswith(b"-LOADING"):
                        break  # redis-py drops the connection after an error reply; serve the next

    threading.Thread(target=serve, daemon=True).start()
    try:
        assert embedded._redis_wait_ready(listener.getsockname()[1], timeout=10)
        assert seen[-1] == b"+PONG\r\n" and len(seen) == 4
    finally:
        listener.close()


def test_a_redis_that_never_finishes_loading_is_reported_not_handed_over():
    import socket
    import threading

    from yoppy import embedded

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                if conn.recv(1024):
                    conn.sendall(b"-LOADING Redis is loading the dataset in memory\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        assert not embedded._redis_wait_ready(listener.getsockname()[1], timeout=1)
    finally:
        stop.set()
        listener.close()
