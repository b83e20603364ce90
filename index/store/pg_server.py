"""Run a PostgreSQL server (with pgvector) on this machine, from the `pgserver` wheel
(Postgres 16 with pgvector 0.6, built for any x86-64 with AVX2).

`vendorcheck store start` and the tests use it; in production point `VENDORCHECK_STORE` at a
managed Postgres with the `vector` extension instead. The server listens on 127.0.0.1 only
(unless told otherwise), trusts local connections, and keeps its files in `data_dir`. Postgres
refuses to run as root, so as root it runs as the `postgres` system user (created if missing).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from index.errors import VendorcheckError

DB_USER = "vendorcheck"
DB_NAME = "vendorcheck"
RUN_AS = "postgres"


class EngineServerError(VendorcheckError):
    """The bundled Postgres could not be started or stopped."""


def _bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")  # found, not imported (its import has effects)
    if spec is None or not spec.submodule_search_locations:
        raise EngineServerError(
            "the bundled Postgres is not installed; pip install 'vendorcheck[engine]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", RUN_AS], check=True, capture_output=True
        )
    return RUN_AS


def _run(args: list[str], user: str | None) -> None:
    ids = {}
    if user is not None:  # its own group too: root's group would shut it out of 0o7x1 dirs
        ids = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, **ids)
    if done.returncode:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise EngineServerError(f"{Path(args[0]).name} failed: {detail[-1] if detail else '?'}")


@dataclass(frozen=True)
class EngineServer:
    data_dir: Path
    host: str
    port: int

    @property
    def url(self) -> str:
        return self.url_for(DB_NAME)

    def url_for(self, database: str) -> str:
        return f"postgresql://{DB_USER}@{self.host}:{self.port}/{database}"

    def stop(self) -> None:
        stop_server(self.data_dir)


def start_server(data_dir: Path, port: int = 0, host: str = "127.0.0.1") -> EngineServer:
    """initdb `data_dir` if it is new, start Postgres on host:port, create the database."""
    bin_dir, user = _bin_dir(), _run_as()
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        for parent in data_dir.parents:  # the server's user must reach its directory
            mode = os.stat(parent).st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)
        shutil.chown(data_dir, user, user)
        os.chmod(data_dir, 0o700)
    if not (data_dir / "PG_VERSION").exists():
        _run(
            [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", DB_USER, "--auth=trust",
             "--encoding=utf8", "--no-sync"],
            user,
        )  # fmt: skip
    port = port or free_port(host)
    options = f"-h {host} -p {port} -k {data_dir}"
    _run(
        [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-w", "-t", "60", "-o", options,
         "-l", str(data_dir / "server.log"), "start"],
        user,
    )  # fmt: skip
    server = EngineServer(data_dir, host, port)
    create_database(server, DB_NAME)
    return server


def create_database(server: EngineServer, name: str) -> str:
    """Create database `name` (letters, digits, _) if missing; its URL."""
    import psycopg

    if not name.replace("_", "").isalnum():
        raise EngineServerError(f"database name {name!r}: use letters, digits and _")
    with psycopg.connect(server.url_for("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists.fetchone() is None:
            conn.execute(f"CREATE DATABASE {name}")
    return server.url_for(name)


def stop_server(data_dir: Path, timeout: float = 60.0) -> None:
    """Fast shutdown (SIGINT, what `pg_ctl -m fast stop` sends) of the server in `data_dir`,
    by the process id it wrote there; waits until it has exited."""
    pid_file = Path(data_dir).resolve() / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGINT)
    except (OSError, ValueError, IndexError):
        raise EngineServerError(f"no server is running in {data_dir}") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise EngineServerError(f"the server in {data_dir} (pid {pid}) did not stop in {timeout:g} s")
