"""`closedloop serve --workers 3`: one port, shared state in the database, one scheduler.

Runs against a database of its own (a fresh SQLite file, or a new PostgreSQL database beside
the test database), since its scheduler publishes editions.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ARTIFACTS, IS_PG, TEST_URL, _free_port

PASSWORD = "workers-pass-1"


def _own_database(tmp_path: Path) -> tuple[str, callable]:
    if not IS_PG:
        return f"sqlite:///{tmp_path}/workers.sqlite3", lambda: None
    import asyncpg

    name = "closedloop_workers_" + secrets.token_hex(4)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(TEST_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = TEST_URL.rsplit("/", 1)[0]
    return f"{base}/{name}", lambda: asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _cli(env: dict, *args: str, stdin: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "closedloop.cli", *args], env=env, input=stdin, text=True, check=True, capture_output=True)


@pytest.fixture
def workers_server(tmp_path):
    url, drop = _own_database(tmp_path)
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": url, "CLOSEDLOOP_SECRET_KEY": "workers-test-secret", "CLOSEDLOOP_SCHEDULER": "on"}
    env.pop("PICCOLO_CONF", None)
    _cli(env, "migrate")
    _cli(env, "user", "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "workers-server.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "closedloop.cli", "serve", "--workers", "3", "--port", str(port), "--no-access-log"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    ready = 0
    while time.monotonic() < deadline and ready < 3:
        ready = log_path.read_text().count("Application startup complete")
        if proc.poll() is not None:
            raise RuntimeError("server exited: " + log_path.read_text()[-2000:])
        time.sleep(0.3)
    assert ready == 3, log_path.read_text()[-2000:]
    try:
        yield base, log_path, url
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()
        drop()


def _fresh(base: str) -> httpx.Client:
    # a new connection per request, so requests spread over the workers
    return httpx.Client(base_url=base, limits=httpx.Limits(max_keepalive_connections=0), timeout=30)


def test_three_workers_share_logins_lockouts_and_one_scheduler(workers_server):
    base, log_path, url = workers_server
    with _fresh(base) as c:
        token = c.post("/api/v1/auth/login", json={"username": "boss", "password": PASSWORD}).json()["token"]
        answers = {c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(24)}
        assert answers == {200}
        for _ in range(5):
            assert c.post("/api/v1/auth/login", json={"username": "boss", "password": "wrong-guess"}).status_code == 401
        assert {c.post("/api/v1/auth/login", json={"username": "boss", "password": PASSWORD}).status_code for _ in range(6)} == {429}
    # the scheduler's start-up catch-up publishes the latest due weekly edition, once
    deadline = time.monotonic() + 30
    editions = 0
    while time.monotonic() < deadline and editions == 0:
        with _fresh(base) as c:
            editions = len(c.get("/api/v1/publications/").json())
        time.sleep(0.5)
    time.sleep(2)
    with _fresh(base) as c:
        pubs = c.get("/api/v1/publications/").json()
    assert len(pubs) == 1
    assert log_path.read_text().count("scheduler started in process") == 1


def test_several_workers_without_a_shared_secret_refuse_to_start(tmp_path):
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    env.pop("CLOSEDLOOP_SECRET_KEY", None)
    env.pop("PICCOLO_CONF", None)
    r = subprocess.run([sys.executable, "-m", "closedloop.cli", "serve", "--workers", "2", "--port", str(_free_port())], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "CLOSEDLOOP_SECRET_KEY" in (r.stderr + r.stdout)
