"""`ivr recordings ...`: list, verify, purge, orphans, hold/release and pick-up of recordings.

Rules:
- Reads the configured database (`IVR_DATABASE_URL`), storage root (`paths.recordings`) and
  `<config_dir>/recordings.yaml`; migrates the schema first (idempotent).
- `verify` prints one line per problem (`MISMATCH <id> <path>: sha256 ... != sealed ...`,
  `MISSING ...`, `EMPTY <id> <path>: no audio`, `SHORT <id>: covers 12.0 s of a 118.4 s call`)
  and exits 1 if there is any; `coverage [--since DAY]` lists the recorded calls whose
  recordings cover less than 95 % of the call (`recordings.coverage`) and the answered calls of
  a recorded flow (`calls.recorded_flows`) with no recording at all, and exits 1 if any;
  `orphans` exits 1 if it finds any. All suit cron.
- `purge` previews with `--dry-run`; deleting needs `--yes` and a `--reason` (audited).
  `hold` needs a `--reason` (audited with the operator's login name, or `--by`).
- A `RecordingsError` is an `IvrError`: it propagates untouched and `ivr.cli` prints it (one
  readable line on stderr, exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ivr.engine.sim import LOCAL_ZONE
from ivr.errors import InputError
from ivr.settings import load_settings
from ivr.store import CallStore, create_engine, migrate_engine
from ivr.store.calls import CallSummary
from recordings import (
    CallCoverage,
    EmptyRecording,
    Problem,
    Recording,
    RecordingIndex,
    RecordingStatus,
    ShortCoverage,
    VerifyProblem,
    load_recordings_config,
)
from recordings.coverage import GRACE_S, MIN_RATIO

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    parser = sub.add_parser("recordings", help="call recordings: list, verify, purge, holds")
    group = parser.add_subparsers(dest="recordings_command", metavar="SUBCOMMAND")
    group.required = True
    listing = group.add_parser("list", help="indexed recordings, newest first")
    listing.add_argument("--call", default=None, help="only this call id")
    listing.add_argument("--purpose", default=None, help="only this purpose (e.g. emergency)")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=run_list)
    verify = group.add_parser(
        "verify", help="re-hash every sealed file, find empty files and short calls; exit 1 if any"
    )
    verify.set_defaults(func=run_verify)
    coverage = group.add_parser(
        "coverage", help="calls whose recordings cover less than 95%% of the call; exit 1 if any"
    )
    coverage.add_argument("--since", default=None, help="only calls from this day (YYYY-MM-DD)")
    coverage.add_argument("--min-ratio", type=float, default=MIN_RATIO, help=argparse.SUPPRESS)
    coverage.set_defaults(func=run_coverage)
    purge = group.add_parser("purge", help="what retention would delete (--dry-run) or delete it")
    purge.add_argument("--dry-run", action="store_true", help="list only; touch nothing")
    purge.add_argument("--yes", action="store_true", help="really delete the listed files")
    purge.add_argument("--reason", default="retention period over", help="for the audit log")
    purge.set_defaults(func=run_purge)
    orphans = group.add_parser("orphans", help="files without a row and rows without a file")
    orphans.set_defaults(func=run_orphans)
    hold = group.add_parser("hold", help="put a recording under legal hold (or --release it)")
    hold.add_argument("id", type=int)
    hold.add_argument("--reason", required=True, help="why (goes to the audit log)")
    hold.add_argument("--release", action="store_true", help="lift the hold instead")
    hold.set_defaults(func=run_hold)
    pick_up = group.add_parser("pick-up", help="seal finished files from Asterisk's spool")
    pick_up.add_argument("spool_dir", type=Path, help="e.g. /var/spool/asterisk/recording")
    pick_up.set_defaults(func=run_pick_up)
    for command in (listing, verify, coverage, purge, orphans, hold, pick_up):
        command.add_argument("--settings", type=Path, default=None, help="settings YAML file")
    for command in (purge, hold):
        command.add_argument("--by", default=None, help="who acts (default: your login name)")


@asynccontextmanager
async def _index(args: argparse.Namespace) -> AsyncIterator[RecordingIndex]:
    settings = load_settings(args.settings, os.environ)
    config = load_recordings_config(settings.paths.config_dir / "recordings.yaml")
    engine = create_engine(settings.database_url)
    try:
        await migrate_engine(engine)
        yield RecordingIndex(engine, settings.paths.recordings, config)
    finally:
        await engine.dispose()


def _run(args: argparse.Namespace, work: Callable[[RecordingIndex], Awaitable[T]]) -> T:
    async def main() -> T:
        async with _index(args) as index:
            return await work(index)

    return asyncio.run(main())


def _who(args: argparse.Namespace) -> str:
    return str(args.by or getpass.getuser())


# ---------------------------------------------------------------------- output


def _local(value: datetime | None, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _row(r: Recording, zone: str) -> list[str]:
    duration = "-" if r.duration_ms is None else f"{r.duration_ms / 1000:.1f}s"
    return [
        str(r.id), _local(r.started_at, zone), r.call_id, r.purpose, r.source.value,
        r.account_masked or "-", duration, r.status.value, "HOLD" if r.legal_hold else "-",
        _local(r.retention_until, zone)[:10], (r.sha256 or "-")[:12],
    ]  # fmt: skip


HEADER = ["ID", "STARTED", "CALL", "PURPOSE", "SOURCE", "ACCOUNT", "DUR", "STATUS", "HOLD",
          "RETAIN UNTIL", "SHA256"]  # fmt: skip


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in [HEADER, *rows])  # fmt: skip


def _print_rows(rows: list[Recording], zone: str, empty: str) -> None:
    print(_table([_row(r, zone) for r in rows]) if rows else empty)


# ---------------------------------------------------------------------- commands


def run_list(args: argparse.Namespace) -> int:
    async def work(index: RecordingIndex) -> tuple[list[Recording], str]:
        rows = await index.search(call_id=args.call, purpose=args.purpose, limit=args.limit)
        return rows, index.policy.timezone

    rows, zone = _run(args, work)
    if args.json:
        print(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
    else:
        _print_rows(rows, zone, "no recordings indexed")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    async def work(index: RecordingIndex) -> tuple[list[Problem], int]:
        return await index.verify(), await index.count(RecordingStatus.SEALED)

    problems, sealed = _run(args, work)
    for problem in problems:
        print(problem.line())
    seals = sum(1 for p in problems if isinstance(p, VerifyProblem))
    empty = sum(1 for p in problems if isinstance(p, EmptyRecording))
    short = sum(1 for p in problems if isinstance(p, ShortCoverage))
    if seals:
        print(f"{seals} of {sealed} sealed recordings do not match their seal")
    if empty:
        print(f"{empty} of {sealed} sealed recordings hold no audio")
    if short:
        print(f"{short} recorded call(s) not covered by their recordings")
    if problems:
        return 1
    print(f"OK: {sealed} sealed recordings match their sha256 and cover their calls")
    return 0


def run_coverage(args: argparse.Namespace) -> int:
    since = _since(args.since)
    settings = load_settings(args.settings, os.environ)
    flows = settings.calls.recorded_flows  # flow -> purpose: calls that must have recordings

    async def work(index: RecordingIndex) -> tuple[list[CallCoverage], list[CallSummary]]:
        covered = await index.coverage(since)
        seen = {c.call_id for c in covered}
        calls = CallStore(index.engine)  # the call rows: a recorded-flow call with no recording
        answered = await calls.answered_calls(flows, since)
        return covered, [c for c in answered if c.id not in seen and _span_s(c) > GRACE_S]

    covered, unrecorded = _run(args, work)
    short = [c for c in covered if c.is_short(args.min_ratio)]
    for call in short:
        print(call.report_line())
    for row in unrecorded:
        started = row.started_at.isoformat(timespec="seconds")
        purpose, span_s = flows[row.flow], _span_s(row)
        print(f"{started} call {row.id} {purpose}: no recording of a {span_s:.1f} s call")
    total, below = len(covered) + len(unrecorded), len(short) + len(unrecorded)
    if below:
        print(f"{below} of {total} recorded calls covered below {args.min_ratio:.0%}")
        return 1
    print(f"OK: {total} recorded calls covered at {args.min_ratio:.0%} or more")
    return 0


def _span_s(call: CallSummary) -> float:
    """From answer to hang-up: what the call's recordings had to cover."""
    if call.answered_at is None or call.ended_at is None:
        return 0.0
    return (call.ended_at - call.answered_at).total_seconds()


def _since(text: str | None) -> datetime | None:
    """`--since 2026-12-01` (a local day of the hotline) or an ISO time with a zone."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--since {text!r} is not a date; use e.g. 2026-12-01 or 2026-12-01T09:00+08:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_ZONE)


def run_purge(args: argparse.Namespace) -> int:
    if args.dry_run == args.yes:
        raise InputError("say --dry-run to preview or --yes to delete (not both, not neither)")

    async def work(index: RecordingIndex) -> tuple[list[Recording], str]:
        rows = await index.purge(dry_run=args.dry_run, who=_who(args), reason=args.reason)
        return rows, index.policy.timezone

    rows, zone = _run(args, work)
    verb = "would purge" if args.dry_run else "purged"
    _print_rows(rows, zone, "nothing to purge: no sealed recording past retention without hold")
    if rows:
        print(f"{verb} {len(rows)} recording(s)")
    return 0


def _orphan_lines(index: RecordingIndex) -> Callable[[], Awaitable[list[str]]]:
    async def work() -> list[str]:
        found = await index.orphans()
        lines = [f"FILE WITHOUT ROW {path}" for path in found.files_without_row]
        for r in found.rows_without_file:
            what = "sealed file missing" if r.sha256 else "never sealed"
            lines.append(f"ROW WITHOUT FILE {r.id} {index.path_of(r)}: {what}")
        return lines

    return work


def run_orphans(args: argparse.Namespace) -> int:
    lines = _run(args, lambda index: _orphan_lines(index)())
    for line in lines:
        print(line)
    print(f"{len(lines)} orphan(s)" if lines else "no orphans")
    return 1 if lines else 0


def run_hold(args: argparse.Namespace) -> int:
    async def work(index: RecordingIndex) -> Recording:
        return await index.set_legal_hold(args.id, not args.release, args.reason, _who(args))

    row = _run(args, work)
    state = "under legal hold" if row.legal_hold else "released from legal hold"
    print(f"recording {row.id} ({row.name}) {state}")
    return 0


def _names(rows: list[str]) -> str:
    return ", ".join(rows) or "-"


def run_pick_up(args: argparse.Namespace) -> int:
    result = _run(args, lambda index: index.pick_up(args.spool_dir))
    print(f"sealed: {_names([r.name for r in result.sealed])}")
    print(f"not ours or already sealed: {_names([p.name for p in result.unknown])}")
    print(f"still being written: {_names([p.name for p in result.too_fresh])}")
    return 0
