"""Spreadsheet files (docs/analyst-guide.md#exports-and-reports): tables written as CSV or XLSX
(openpyxl), and the CEN-style Excel upload that `seizure import` reads (one sheet per commodity group)."""

from __future__ import annotations

import csv
import datetime
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from rilo_node.cli.output import EXIT_BAD_INPUT
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.core.seizure import (
    CSV_COLUMNS,
    check_submission,
    csv_row_to_seizure,
    parse_submission,
)
from rilo_node.core.vocab import SECTIONS

TABLE_FORMATS = ("csv", "xlsx")


def _cell(value):
    # A spreadsheet cell: numbers and booleans as they are, everything else as text.
    if value is None:
        return ""
    return value if isinstance(value, (int, float, bool, str)) else str(value)


def _safe_text(value):
    # A cell starting with = + - @ is a formula to a spreadsheet program: record text must never be
    # one (CSV injection). Numbers stay numbers.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_table(rows: Iterable[dict], columns: tuple[str, ...], fmt: str, out: str | None, *,
                title: str = "records") -> int:
    """Write rows as CSV (to `out`, or standard output when None or '-') or XLSX (to the file `out`,
    which it needs). Returns the number of rows written."""
    if fmt == "xlsx":
        if not out or out == "-":
            raise CliError("--format xlsx needs --out FILE.xlsx (a workbook is not written to a terminal)",
                           EXIT_BAD_INPUT)
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title[:31])
        ws.append(list(columns))
        n = 0
        for row in rows:
            ws.append([_safe_text(_cell(row.get(c, ""))) for c in columns])
            n += 1
        wb.save(out)
        return n
    stream = sys.stdout if not out or out == "-" else open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        writer = csv.DictWriter(stream, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        n = 0
        for row in rows:
            writer.writerow({c: _safe_text(_cell(row.get(c, ""))) for c in columns})
            n += 1
        return n
    finally:
        if stream is not sys.stdout:
            stream.close()


# -- the CEN-style Excel upload -------------------------------------------------------------------

class Place(str):
    """Where an input record is ("sheet 'Drugs', row 5", "object 3 (id)"), sorting in file order."""

    def __new__(cls, text: str, order: tuple):
        obj = super().__new__(cls, text)
        obj.order = order
        return obj

    def __lt__(self, other):
        return self.order < getattr(other, "order", (float("inf"),))


# The columns of a commodity sheet: those of the CSV import but `section`, which the sheet names.
# Mandatory (docs/analyst-guide.md#the-cen-excel-upload): seizure_date, country, category.
SHEET_COLUMNS = tuple(c for c in CSV_COLUMNS if c != "section")
SHEET_REQUIRED = ("seizure_date", "country", "category")


# Sheet titles as the ITR writes the sections (Excel forbids '/' in a sheet name: AML-CTF).
SECTION_TITLES = {"AML_CTF": "AML-CTF", "DRUGS": "Drugs", "ENVIRONMENT": "Environment",
                  "IPR_HEALTH_SAFETY": "IPR, health and safety", "REVENUE": "Revenue", "SECURITY": "Security",
                  "CULTURAL_HERITAGE": "Cultural heritage", "OTHER": "Other"}
assert set(SECTION_TITLES) == set(SECTIONS)


def section_of_sheet(name: str) -> str | None:
    """The section a sheet is for: its name is the section in any case (DRUGS, drugs, aml-ctf) or
    its title (Drugs, "IPR, health and safety")."""
    key = name.strip().upper().replace(" ", "_").replace("-", "_")
    if key in SECTIONS:
        return key
    for section, title in SECTION_TITLES.items():
        if name.strip().lower() == title.lower():
            return section
    return None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _column_of(field: str, letters: dict[str, str]) -> str:
    """'column F (quantity)' for a field of a refusal (items[0].quantity, country, policy.tlp ...)."""
    name = field.split(".")[-1].split("[")[0] if field else ""
    if field.startswith("evaluation."):
        name = "evaluation_" + name
    if name in letters:
        return f"column {letters[name]} ({name})"
    return field


def iter_workbook(path: str) -> Iterator[tuple[Place, object]]:
    """(where, SeizureSubmission or ValidationError) for each filled row of every commodity sheet.
    A sheet whose name is no section, or whose header is wrong, stops the import (exit 2)."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    from rilo_node.cli.inputs import with_record_id

    if not Path(path).exists():
        raise CliError(f"{path}: no such file", EXIT_BAD_INPUT)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise CliError(f"{path}: not an Excel workbook (.xlsx): {exc}", EXIT_BAD_INPUT) from None
    try:
        sheets = []
        for ws in wb.worksheets:
            section = section_of_sheet(ws.title)
            if section is None:
                raise CliError(f"{path}: sheet {ws.title!r}: not a commodity group: name each sheet after a "
                               f"section ({', '.join(SECTION_TITLES)})", EXIT_BAD_INPUT)
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None)
            names = [_text(v) for v in (header or ())]
            while names and not names[-1]:
                names.pop()
            letters = {}
            for i, name in enumerate(names, 1):
                where = f"{path}: sheet {ws.title!r}, row 1, column {get_column_letter(i)}"
                if not name:
                    raise CliError(f"{where}: a column with no name", EXIT_BAD_INPUT)
                if name not in SHEET_COLUMNS:
                    hint = " (the sheet names the section)" if name == "section" else ""
                    raise CliError(f"{where}: unknown column {name!r}{hint}", EXIT_BAD_INPUT)
                if name in letters:
                    raise CliError(f"{where}: column {name!r} appears more than once", EXIT_BAD_INPUT)
                letters[name] = get_column_letter(i)
            missing = [c for c in SHEET_REQUIRED if c not in letters and not (c == "category" and "items_json"
                                                                                in letters)]
            if missing:
                raise CliError(f"{path}: sheet {ws.title!r}, row 1: missing mandatory column {missing[0]!r}",
                               EXIT_BAD_INPUT)
            sheets.append((ws, section, names, letters, rows))
        for index, (ws, section, names, letters, rows) in enumerate(sheets):
            for number, values in enumerate(rows, 2):
                cells = {name: _text(v) for name, v in zip(names, values)}
                extra = [v for v in values[len(names):] if _text(v)]
                if not any(cells.values()) and not extra:
                    continue  # an empty row
                where = Place(f"sheet {ws.title!r}, row {number}", (index, number))
                if extra:
                    yield where, ValidationError("", "a cell right of the last named column is filled")
                    continue
                missing = [c for c in SHEET_REQUIRED if c in letters and not cells.get(c)]
                if missing:
                    yield where, ValidationError(_column_of(missing[0], letters), "mandatory, and empty")
                    continue
                try:
                    row = {k: v for k, v in cells.items() if v}
                    if "items_json" not in row:
                        row["section"] = section
                    data = csv_row_to_seizure(row)
                    for item in data.get("items", []):
                        if isinstance(item, dict) and item.get("section", section) != section:
                            raise ValidationError("items_json", f"an item of section {item.get('section')!r} on "
                                                                f"the {section} sheet")
                    sub = parse_submission(with_record_id(data))
                    # The node's own checks (vocabularies, category in its section) on a copy, so that
                    # a refusal names the cell; the node checks again.
                    check = type(sub)()
                    check.CopyFrom(sub)
                    check_submission(check, today=datetime.datetime.now(datetime.UTC).date())
                    yield where, sub
                except ValidationError as exc:
                    yield where, ValidationError(_column_of(exc.field, letters), exc.message)
    finally:
        wb.close()
