"""`vendorcheck`: build the index, ask questions, and run the Slack bot.

Configuration comes from environment variables (and `.env`); flags override them.
Every user mistake ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from bot.cli.output import print_build_report
from index import EngineConfig, VendorcheckError, load_env_file

SAMPLE_QUESTION = "is Kaspersky allowed on GSA?"
EXPORT_HELP = (
    "also write the evidence (question, time, index, quotes with offsets and the sha256 of "
    "each article text) to FILE.md, FILE.json or FILE.csv"
)
Handler = Callable[[argparse.Namespace, EngineConfig], int]


def _config(args: argparse.Namespace) -> EngineConfig:
    return EngineConfig.from_env().with_overrides(
        corpus_dir=getattr(args, "corpus", None),
        index_dir=getattr(args, "index_dir", None),
        model=getattr(args, "model", None),
        backend=getattr(args, "backend", None),
        device=getattr(args, "device", None),
        store=getattr(args, "store", None),
    )


def cmd_index(args: argparse.Namespace, config: EngineConfig) -> int:
    from index import build

    report = build(config, rebuild=args.rebuild, progress=sys.stderr.isatty() and not args.quiet)
    if not args.quiet:
        print_build_report(report)
    return 0


def _questions(args: argparse.Namespace) -> Iterable[str]:
    if args.batch == "-":
        yield from (line.rstrip("\n") for line in sys.stdin)
    elif args.batch:
        try:
            with open(args.batch, encoding="utf-8", errors="replace") as handle:
                yield from (line.rstrip("\n") for line in handle)
        except OSError as exc:
            raise VendorcheckError(f"cannot read {args.batch}: {exc.strerror}") from None
    else:
        yield " ".join(args.question)


def cmd_ask(args: argparse.Namespace, config: EngineConfig) -> int:
    from bot.cli.output import render_answer
    from index import open_retriever

    if not args.batch and not " ".join(args.question).strip():
        print(
            'usage: vendorcheck ask "QUESTION" [-k N] [--json]  (e.g. "is Kaspersky allowed on GSA?")',
            file=sys.stderr,
        )
        return 2
    export = getattr(args, "export", None)  # `start` asks without it
    if export:
        _check_export(args)
    filters = _filters(args)
    retriever = open_retriever(config)
    ansi = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for question in _questions(args):
        if args.batch and not question.strip():
            continue
        answer = retriever.ask(question, k=args.k, filters=filters)
        if export:
            from index.search.evidence import write_export

            print(f"evidence written to {write_export(answer, export)}", file=sys.stderr)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer, use_ansi=ansi), flush=True)
            if args.batch:
                print()
    return 0


def _check_export(args: argparse.Namespace) -> None:
    """Refuse a bad --export before the index is loaded (one line, nothing written)."""
    from index.search.evidence import FORMATS

    if args.batch:
        raise VendorcheckError("--export writes one answer: ask one question, not --batch")
    if Path(args.export).suffix.lower() not in FORMATS:
        raise VendorcheckError(
            f"--export {args.export}: the file name must end in {', '.join(FORMATS)}"
        )
    if not Path(args.export).parent.is_dir():
        raise VendorcheckError(
            f"--export {args.export}: {Path(args.export).parent} is not a directory"
        )


def _filters(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """--publisher / --vendor / --since / --until as the engine's QueryFilters."""
    from index import QueryFilters, parse_date

    since, until = getattr(args, "since", None), getattr(args, "until", None)  # `start`: none
    return QueryFilters(
        publishers=tuple(getattr(args, "publisher", None) or ()),
        since=parse_date(since, name="--since") if since else None,
        until=parse_date(until, end=True, name="--until") if until else None,
        vendors=tuple(getattr(args, "vendor", None) or ()),
    )


def cmd_add(args: argparse.Namespace, config: EngineConfig) -> int:
    """Copy article files into the corpus and/or fetch article URLs, then index them."""
    from index import ArticleError, build
    from index.ingest.loaders import ARTICLE_SUFFIXES, load_article_file
    from index.text.urls import is_url

    urls = [name for name in args.paths if is_url(name)]
    config.corpus_dir.mkdir(parents=True, exist_ok=True)
    copied = 0
    for name in args.paths:
        if is_url(name):
            continue
        path = Path(name)
        if path.suffix.lower() not in ARTICLE_SUFFIXES:
            print(
                f"skipped  {name}: not an article file ({', '.join(ARTICLE_SUFFIXES)}) or URL",
                file=sys.stderr,
            )
            continue
        try:
            load_article_file(path.resolve(), path.resolve().parent)
        except (ArticleError, OSError) as exc:
            print(f"skipped  {name}: {exc}", file=sys.stderr)
            continue
        target = config.corpus_dir / path.name
        verb = "updated" if target.exists() else "added"
        shutil.copyfile(path, target)
        copied += 1
        print(f"{verb:<8} {name} -> {target}")
    if urls:
        from bot.cli.fresh import add_urls_cli

        return add_urls_cli(urls, config, alerts=not args.no_alerts, extra_ok=copied)
    if not copied:
        raise VendorcheckError("no article was added")
    report = build(config, progress=sys.stderr.isatty())
    print_build_report(report)
    return 0


def cmd_stats(args: argparse.Namespace, config: EngineConfig) -> int:
    from index import open_stored, store_label

    stored = open_stored(config)
    on_disk = stored.generation.rglob("*") if stored.engine is None else ()  # engine: server
    size = sum(f.stat().st_size for f in on_disk if f.is_file())
    data = {
        "index_dir": str(config.index_dir) if config.store == "local" else store_label(config),
        "generation": stored.generation.name,
        "articles": len(stored.articles),
        "passages": stored.size,
        "model": stored.manifest.model,
        "dim": stored.manifest.dim,
        "dense_index": stored.manifest.data.get("dense", {}),
        "bytes_on_disk": size,
        "last_update": stored.manifest.data.get("created"),
    }
    if args.json:
        print(json.dumps(data))
    else:
        for key, value in data.items():
            print(f"{key:<14} {value}")
    return 0


def cmd_start(args: argparse.Namespace, config: EngineConfig) -> int:
    """The README's main job: index the corpus, answer the sample question, start the bot."""
    args.rebuild, args.quiet = False, False
    cmd_index(args, config)
    print()
    args.question, args.k, args.json, args.batch = [args.sample or SAMPLE_QUESTION], 3, False, None
    cmd_ask(args, config)
    print()
    return _start_bot_if_configured(args, config)


def _start_bot_if_configured(args: argparse.Namespace, config: EngineConfig) -> int:
    from bot.cli.serve import start_if_configured

    return start_if_configured(config)


# Commands defined here: parsing them needs none of the modules that add subcommands (serve,
# fresh, ... import Slack and HTTP libraries: ~0.45 s of a `vendorcheck ask`, benchmarks/).
CORE_COMMANDS = {"index", "ask", "add", "stats"}


def _command_of(argv: list[str]) -> str | None:
    """The subcommand named in argv (skipping global options and their values)."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--env-file":
            skip = True
        elif not token.startswith("-"):
            return token
    return None


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """`ask`'s search filters (also written in a question: publisher:X since:2024 ...)."""
    p.add_argument("--publisher", action="append", help="only articles of this publisher")
    p.add_argument("--vendor", action="append", help="only articles naming this vendor")
    p.add_argument("--since", help="only articles published since (YYYY[-MM[-DD]])")
    p.add_argument("--until", help="only articles published until (YYYY[-MM[-DD]])")


def _shared_options() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The options every index command takes, and --corpus for those that read the corpus."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", help="index location (VENDORCHECK_INDEX_DIR)")
    common.add_argument("--model", help="model name or path (VENDORCHECK_MODEL)")
    common.add_argument(
        "--backend", choices=["onnx", "torch"], help="embedding backend (VENDORCHECK_BACKEND)"
    )
    common.add_argument("--device", help="torch device, e.g. cpu or cuda (VENDORCHECK_DEVICE)")
    common.add_argument(
        "--store", help="'local' or an engine URL, postgresql://... (VENDORCHECK_STORE)"
    )
    corpus = argparse.ArgumentParser(add_help=False)
    corpus.add_argument("--corpus", help="corpus directory (VENDORCHECK_CORPUS_DIR)")
    return common, corpus


def build_parser(extras: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vendorcheck",
        description="Answer vendor-risk questions with quoted, sourced passages from your corpus.",
    )
    parser.add_argument("--env-file", help="read settings from this file instead of ./.env")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    common, corpus = _shared_options()

    p = sub.add_parser("index", parents=[common, corpus], help="build or update the index")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything from scratch")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(handler=cmd_index)

    p = sub.add_parser("ask", parents=[common], help="answer a question from the index")
    p.add_argument("question", nargs="*", help="the question (or a bare vendor name)")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument(
        "--batch", metavar="FILE", help="answer one question per line of FILE ('-' = stdin)"
    )
    p.add_argument("--export", metavar="FILE", help=EXPORT_HELP)
    add_filter_options(p)
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser(
        "add",
        parents=[common, corpus],
        help="add article files or fetch article URLs into the corpus, and index them",
    )
    p.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--no-alerts", action="store_true", help="do not post watch alerts to Slack")
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("stats", parents=[common], help="what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser(
        "start",
        parents=[common, corpus],
        help="index the corpus, answer a sample question, start the Slack bot if configured",
    )
    p.add_argument("--sample", help=f"sample question (default: {SAMPLE_QUESTION!r})")
    p.set_defaults(handler=cmd_start)

    for register in _extra_commands() if extras else []:
        register(sub, common, corpus)
    return parser


# Modules that contribute subcommands, imported only when one of them is asked for (they pull
# Slack and HTTP libraries, ~0.45 s that `ask` should not pay). An import error here is a bug
# and surfaces as one: nothing is skipped silently.
EXTRA_COMMAND_MODULES = (
    "bot.cli.serve",
    "bot.cli.feedback",
    "bot.cli.evaluate",
    "bot.cli.fresh",
    "bot.cli.lists",
    "bot.cli.store",
)


def _extra_commands() -> list[Callable]:
    """The `register_cli(sub, common, corpus)` of every module in EXTRA_COMMAND_MODULES."""
    return [importlib.import_module(name).register_cli for name in EXTRA_COMMAND_MODULES]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(extras=_command_of(argv) not in CORE_COMMANDS)
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        load_env_file(args.env_file)
        return args.handler(args, _config(args))
    except VendorcheckError as exc:
        print(f"vendorcheck: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vendorcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
