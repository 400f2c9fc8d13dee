"""Reading what the user hands the commands: a JSON file, or the JSON lines or CSV of `seizure import`."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from rilo_node.core.seizure import parse_submission
from rilo_node.cli.output import EXIT_BAD_INPUT
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.core.seizure import csv_header_problems, csv_row_to_seizure


def read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", EXIT_BAD_INPUT) from None


def read_json_file(path: str):
    text = sys.stdin.read() if path == "-" else read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}:{exc.lineno}: not JSON: {exc.msg}", EXIT_BAD_INPUT) from None


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def stable_record_id(data: dict) -> str:
    """A ULID for a line without a record_id: its time is the seizure date, its random part a hash of
    the content. Re-running an interrupted import therefore never stores a seizure twice."""
    import datetime
    import hashlib

    try:
        day = datetime.date.fromisoformat(str(data.get("seizure_date")))
        ms = int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    except ValueError:
        ms = 0
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).digest()
    value = (max(ms, 0) << 80) | int.from_bytes(digest[:10], "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def with_record_id(data):
    if isinstance(data, dict) and not data.get("record_id"):
        return {**data, "record_id": stable_record_id(data)}
    return data


IMPORT_FORMATS = ("jsonl", "csv", "xlsx", "stix")


def import_format_of(path: str) -> str:
    """The format of `seizure import` from a file name: .csv, .xlsx, .stix.json or .stix, else JSON lines."""
    name = path.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    return "stix" if name.endswith((".stix", ".stix.json")) else "jsonl"


def iter_import_lines(path: str, fmt: str) -> Iterator[tuple[int | str, object]]:
    """(line number, or place, and SeizureSubmission or ValidationError) for each record of a JSONL, CSV
    or XLSX file (its place: sheet and row) or of a STIX bundle (its place: object N)."""
    if fmt == "xlsx":
        from rilo_node.cli.formats import iter_workbook

        yield from iter_workbook(path)
        return
    if fmt == "stix":
        from rilo_node.core.stix import bundle_seizures

        text = read_text(path) if path != "-" else sys.stdin.read()
        try:
            found = list(bundle_seizures(text))
        except ValidationError as exc:
            raise CliError(f"{path}: {exc}", EXIT_BAD_INPUT) from None
        from rilo_node.cli.formats import Place

        for n, (text, item) in enumerate(found):
            where = Place(text, (n,))
            if isinstance(item, ValidationError):
                yield where, item
                continue
            try:
                yield where, parse_submission(item)
            except ValidationError as exc:
                yield where, exc
        return
    if fmt == "csv":
        text = read_text(path) if path != "-" else sys.stdin.read()
        reader = csv.DictReader(io.StringIO(text, newline=""))
        problem = csv_header_problems(reader.fieldnames)
        if problem:
            raise CliError(f"{path}:1: {problem}", EXIT_BAD_INPUT)
        for row in reader:
            line = reader.line_num
            try:
                yield line, parse_submission(with_record_id(csv_row_to_seizure(row)))
            except ValidationError as exc:
                yield line, exc
        return
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        for n, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield n, ValidationError("", f"not JSON: {exc.msg} (column {exc.colno})")
                continue
            try:
                yield n, parse_submission(with_record_id(data))
            except ValidationError as exc:
                yield n, exc
    finally:
        if stream is not sys.stdin:
            stream.close()


def count_lines(path: str) -> int | None:
    """Non-blank lines of a file (for a progress total); None for standard input."""
    if path == "-":
        return None
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())
