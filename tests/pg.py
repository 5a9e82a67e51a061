"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, pg_ctl
start on 127.0.0.1 at a free port, pg_ctl stop at the end.

The Debian ``postgresql`` package (``system-packages.txt``, installed by ``make test``)
puts the binaries in ``/usr/lib/postgresql/<version>/bin``, off the PATH. PostgreSQL
refuses to run as root, so when the tests run as root the cluster directory is given to
the ``postgres`` user and every binary runs through ``runuser -u postgres --``; as any
other user the binaries run directly. Clients connect over TCP with ``trust``
authentication as the superuser ``postgres``: the cluster lives only as long as the test
session and listens on loopback only.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


def pg_bin_dir() -> Path:
    """The newest installed server's ``bin`` folder; a clear error when there is none."""
    versions = sorted(
        (p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(
            f"no PostgreSQL server under {PG_ROOT}: run `make test` (it installs the Debian "
            "package `postgresql` listed in system-packages.txt)"
        )
    return versions[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One PostgreSQL server in its own temporary directory, started and stopped by this
    handle. ``dsn(db)`` is the URL of database *db* on it."""

    def __init__(self, *, fsync: bool = False) -> None:
        #: fsync off makes the suite fast and changes nothing that a test observes (a
        #: commit is still a commit to every other connection); the bench turns it on
        self.fsync = fsync
        self.bin = pg_bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="lapor-pg-"))
        self.data = self.root / "data"
        self._as_postgres = os.geteuid() == 0
        self.user = "postgres"
        self._started = False
        self._databases = 0

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, timeout=timeout, capture_output=True, cwd=self.root)

    def start(self) -> None:
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self._pg_start()
        self._started = True

    def _pg_start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
            f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=200 "
            "-c shared_buffers=64MB"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: disconnect clients; ``immediate``: as if killed)."""
        if self._started:
            with contextlib.suppress(subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
            self._started = False

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again on the same port and data (clients must reconnect)."""
        self.stop(mode)
        self._pg_start()
        self._started = True

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name
        )  # fmt: skip
        return self.dsn(name)

    def new_database(self) -> str:
        """A new empty database with a fresh name; returns its URL."""
        self._databases += 1
        return self.create_database(f"t{self._databases}")

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> PgCluster:
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
