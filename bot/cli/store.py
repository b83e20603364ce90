"""`vendorcheck store`: run a local engine server, and copy a local index into the engine.

vendorcheck store start --data-dir .vendorcheck/pg --port 5433   # prints the URL to use
vendorcheck store migrate --store postgresql://vendorcheck@127.0.0.1:5433/vendorcheck
vendorcheck store stop --data-dir .vendorcheck/pg
"""

from __future__ import annotations

import argparse
from pathlib import Path

from index import EngineConfig, VendorcheckError


def cmd_start(args: argparse.Namespace, config: EngineConfig) -> int:
    from index.store.pg_server import start_server

    data_dir = Path(args.data_dir or config.data_dir / "pg")
    server = start_server(data_dir, port=args.port, host=args.host)
    print(f"engine store running in {server.data_dir}")
    print(f"VENDORCHECK_STORE={server.url}")
    return 0


def cmd_stop(args: argparse.Namespace, config: EngineConfig) -> int:
    from index.store.pg_server import stop_server

    data_dir = Path(args.data_dir or config.data_dir / "pg")
    stop_server(data_dir)
    print(f"engine store in {data_dir} stopped")
    return 0


def cmd_migrate(args: argparse.Namespace, config: EngineConfig) -> int:
    from index import model_id_for, store_of

    store = store_of(config)
    if not hasattr(store, "migrate"):
        raise VendorcheckError(
            "store migrate copies the local index into an engine: give --store postgresql://... "
            "(or set VENDORCHECK_STORE)"
        )
    source = Path(args.source or config.index_dir)
    report = store.migrate(source, model_id_for(config.model), replace=args.replace)
    print(
        f"engine store: version {report.version}, {len(report.added)} articles sent, "
        f"{len(report.removed)} removed, {report.passages} passages (from {source})"
    )
    return 0


def register_cli(sub, common: argparse.ArgumentParser, corpus: argparse.ArgumentParser) -> None:  # type: ignore[no-untyped-def]
    p = sub.add_parser("store", help="the engine store: start a local server, migrate into it")
    actions = p.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    q = actions.add_parser("start", parents=[common], help="start a local Postgres + pgvector")
    q.add_argument("--data-dir", help="its files (default $VENDORCHECK_DATA_DIR/pg)")
    q.add_argument("--port", type=int, default=5433, help="port (default 5433; 0 = any free)")
    q.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    q.set_defaults(handler=cmd_start)
    q = actions.add_parser("stop", parents=[common], help="stop the local server")
    q.add_argument("--data-dir", help="its files (default $VENDORCHECK_DATA_DIR/pg)")
    q.set_defaults(handler=cmd_stop)
    q = actions.add_parser(
        "migrate", parents=[common], help="copy the local index into the engine store (--store)"
    )
    q.add_argument("--from", dest="source", help="local index dir (default VENDORCHECK_INDEX_DIR)")
    q.add_argument("--replace", action="store_true", help="empty the engine store first")
    q.set_defaults(handler=cmd_migrate)
