"""`rilo-node backup` and `rilo-node restore`: the node's store, copied online and put back.

The work is done by rilo_node.store.backup (SQLite's online backup API); this module finds the store
from node.toml, checks that the node is stopped before a restore, shows progress and prints the result.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, print_json
from rilo_node.core.errors import CliError

# Below this many pages (64 MiB with 4 KiB pages) a copy takes about a second: no progress shown.
PROGRESS_FROM_PAGES = 16384


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)  # not reached


class _Progress:
    """Pages copied: a rich bar on a terminal, a line every 10 % elsewhere; nothing for a small store."""

    def __init__(self, what: str, quiet: bool):
        self.what, self.quiet = what, quiet
        self.bar = self.task = None
        self.shown_tenth = -1
        self.started = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total < PROGRESS_FROM_PAGES:
            return
        if sys.stderr.isatty():
            if self.bar is None:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    Progress,
                    TaskProgressColumn,
                    TimeElapsedColumn,
                )

                self.bar = Progress("{task.description}", BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                                    console=Console(stderr=True), transient=True)
                self.bar.start()
                self.task = self.bar.add_task(self.what, total=total)
            self.bar.update(self.task, completed=done, total=total)
            return
        tenth = done * 10 // total
        if tenth > self.shown_tenth:
            self.shown_tenth = tenth
            print(f"{self.what}: {done * 100 // total}% ({done}/{total} pages, "
                  f"{time.monotonic() - self.started:.1f} s)", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def serving_pid(config) -> int | None:
    """The pid of the `rilo-node serve` running this node, from serve.json beside node.toml (None when
    there is no such file, or the process it names is gone: a node that crashed leaves it behind)."""
    from rilo_node.sim.cluster import pid_alive

    try:
        pid = json.loads(config.runtime_path.read_text()).get("pid")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, AttributeError) as exc:
        raise CliError(f"{config.runtime_path}: unreadable ({exc}); is the node serving? "
                       "Stop it, or remove the file if it is not") from None
    return pid if isinstance(pid, int) and pid_alive(pid) else None


def cmd_backup(args) -> int:
    from rilo_node.node.config import load_config
    from rilo_node.store.backup import BackupError, backup

    config = load_config(args.config)
    to = Path(args.to)
    if to.exists() and not args.force:
        raise CliError(f"{to} exists; pass --force to replace it", EXIT_BAD_INPUT)
    if not to.parent.is_dir():
        raise CliError(f"{to.parent} is not a folder", EXIT_BAD_INPUT)
    progress = _Progress(f"backing up {config.node_id}", args.quiet or args.json)
    started = time.monotonic()
    try:
        summary = backup(config.db_path, to, config.node_id, progress=progress)
    except (BackupError, OSError) as exc:
        raise CliError(str(exc)) from None
    finally:
        progress.close()
    seconds = time.monotonic() - started
    info = {"node": config.node_id, "file": str(summary.path), "bytes": summary.size, "records": summary.records,
            "own_records": summary.own, "last_seq": summary.last_seq, "seconds": round(seconds, 3)}
    if args.json:
        print_json(info)
    else:
        print(f"backed up node {config.node_id} to {summary.path} in {seconds:.1f} s")
        print(f"  {_size(summary.size)}, records held: {summary.records} (own {summary.own}), "
              f"last seq {summary.last_seq}")
    return EXIT_OK


def cmd_restore(args) -> int:
    from rilo_node.node.config import load_config
    from rilo_node.store.backup import BackupError, in_use, restore

    config = load_config(args.config)
    pid = serving_pid(config)
    if pid is not None:
        raise CliError(f"node {config.node_id} is serving (pid {pid}, {config.runtime_path}); stop it first, "
                       "then restore")
    if in_use(config.db_path):
        raise CliError(f"{config.db_path} is in use by another process; stop it first, then restore")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    progress = _Progress(f"restoring {config.node_id}", args.quiet or args.json)
    try:
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a node whose data folder was lost
        done = restore(Path(args.from_), config.db_path, stamp=stamp, own_origin=config.node_id,
                       progress=progress)
    except BackupError as exc:
        raise CliError(str(exc), EXIT_BAD_INPUT) from None
    except OSError as exc:
        raise CliError(str(exc)) from None
    finally:
        progress.close()
    b = done.backup
    info = {"node": config.node_id, "file": str(Path(args.from_).resolve()), "store": str(b.path),
            "records": b.records, "own_records": b.own, "last_seq": b.last_seq,
            "set_aside": str(done.set_aside) if done.set_aside else None,
            "seq_continues_after": max(done.replaced_last_seq, b.last_seq)}
    if args.json:
        print_json(info)
        return EXIT_OK
    print(f"restored node {config.node_id} from {info['file']}")
    print(f"  records held: {b.records} (own {b.own}), last seq {b.last_seq}")
    if done.set_aside:
        print(f"  the store it replaced: {done.set_aside}")
    if done.replaced_last_seq > b.last_seq:
        print(f"  new records are numbered after {done.replaced_last_seq}, where the replaced store stopped")
    print(f"next: rilo-node serve --config {config.path}; it fetches back from its peers what the backup lacks")
    return EXIT_OK


def add_parsers(sub) -> None:
    """backup, restore."""
    p = sub.add_parser("backup", help="copy the node's store to a file, while the node serves")
    p.add_argument("--config", required=True, help="the node.toml of the node")
    p.add_argument("--to", required=True, metavar="FILE", help="the backup file (written to FILE.tmp, then renamed)")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="put a backup in place of the node's store (node stopped)")
    p.add_argument("--config", required=True, help="the node.toml of the node")
    p.add_argument("--from", dest="from_", required=True, metavar="FILE", help="a file written by rilo-node backup")
    p.add_argument("--quiet", action="store_true", help="no progress on standard error")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_restore)
