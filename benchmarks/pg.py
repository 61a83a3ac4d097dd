"""A private PostgreSQL on loopback for the benchmarks (initdb/pg_ctl in a temporary folder)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Postgres:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="closedloop-bench-pg-"))
        self.port = free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        pg_ctl = shutil.which("pg_ctl") or sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1].as_posix()
        self.bin = Path(pg_ctl).parent
        if self.as_pg:
            shutil.chown(self.dir, "postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(self.as_pg + [str(self.bin / args[0]), *args[1:]], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, restartable: bool = False) -> "Postgres":
        """initdb and start. Benchmarks trade durability for speed (fsync off); the
        load-and-fault run (``restartable``) keeps PostgreSQL's durable defaults."""
        self._run("initdb", "-D", f"{self.dir}/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200"
        if not restartable:
            self.opts += " -c shared_buffers=512MB -c fsync=off -c synchronous_commit=off"
        self._up()
        return self

    def _up(self) -> None:
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/pg.log", "-w", "-o", self.opts, "start")

    def restart(self, down_seconds: float = 2.0) -> None:
        """Stop, stay down for a while (connections are refused), start again."""
        import time

        self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "stop")
        time.sleep(down_seconds)
        self._up()

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
