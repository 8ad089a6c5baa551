"""The Excel channel of the monthly figures: a template to download and the upload that reads it back.

The template is a workbook of one month: a sheet of figures (row 1 the machine-readable codes, row 2
their translated names and units, then one row per enterprise, pre-filled with what is stored) and a
sheet that says which cluster and month it is for and how to fill it in.

An uploaded file is never trusted: its name, size and zip directory are checked before openpyxl
opens it (a small file that unpacks to gigabytes, a macro workbook or a renamed PDF is refused with a
message the user understands), formulas are refused rather than evaluated, and every figure then
goes through `data_values_write` — the one validation of the form and the API — as one atomic batch,
so a file with one bad cell writes nothing. Each problem comes back with its Excel row and column.

Empty cells are skipped, never sent: an empty cell does not erase a stored figure (the template is
pre-filled, and a cell cleared by accident must not delete data). A figure is cleared in the form.
"""

from __future__ import annotations

import datetime
import io
import logging
import os
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from governance.models import Cluster, Enterprise

from .choices import Channel
from .models import DataElement, DataValue, ReportingPeriod, parse_month
from .services.ingest import WriteResult, data_values_write, writable_enterprise_ids
from .services.setup import active_data_elements
from .validation import Problem

if TYPE_CHECKING:
    from core.typing import AnyUser

logger = logging.getLogger(__name__)

# --- Limits and layout ----------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A real template of a few hundred enterprises unpacks to well under 5 MB; the limits stop a zip
# bomb (kilobytes on disk, gigabytes unpacked) before anything is decompressed.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 1000
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
# Any one part unpacked: openpyxl reads the shared strings and the styles whole when it opens a workbook, and a
# worksheet without a <dimension> element whole as well (to size it) before the first row. The largest template
# (580 enterprises × 17 figures) has a 0.45 MB sheet; a part is at most 8 MB, then read as a stream under the
# row and cell limits below.
MAX_PART_BYTES = 8 * 1024 * 1024
# Read as a stream and stopped at the first limit reached: a file within the size limits can still hold a
# million rows (3.4 MB that unpack to 45 MB took 104 s and 1.2 GB before these limits). The figures are the
# API's limit per request (KPI_MAX_BATCH_ROWS); rows and cells bound the reading of empty or padded sheets.
MAX_SHEET_ROWS = 20_000
MAX_SHEET_COLUMNS = 100
MAX_SHEET_CELLS = 500_000
MAX_MESSAGES = 200  # per list: a file that is wrong everywhere needs its first problems, not 20 000

TAXPAYER_COLUMN = "taxpayer_id"
ENTERPRISE_COLUMN = "enterprise"
HEADER_ROWS = 2  # codes, then the translated names and units
FIRST_DATA_ROW = HEADER_ROWS + 1

# Custom document properties: invisible to the user, kept by Excel and LibreOffice on save, and
# read back to refuse a template of another month or cluster.
PERIOD_PROPERTY = "cluster_platform_period"
CLUSTER_PROPERTY = "cluster_platform_cluster"

REQUIRED_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls and password-protected workbooks

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00##"
HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
READ_ONLY_FILL = PatternFill("solid", fgColor="F2F2F2")


# --- Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellRef:
    """Where a figure sits in the sheet: Excel row number, column letter and that column's header."""

    row: int
    column: str
    header: str


@dataclass(frozen=True)
class UploadMessage:
    """One error or warning about an upload; `row`/`column`/`header` are None for the file as a whole."""

    message: str
    row: int | None = None
    column: str | None = None
    header: str | None = None

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column is None:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s, column %(column)s (%(header)s): %(message)s") % {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "message": self.message,
        }

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.row or 0, column_index_from_string(self.column) if self.column else 0)


@dataclass
class SheetRows:
    """What a workbook says: rows for `data_values_write`, where each came from, and what is wrong.

    `rows[i]` came from `cells[i]`. `errors` are the problems of the file itself (not a workbook,
    unknown column, formula in a cell, ...): with any of them the upload writes nothing.
    """

    rows: list[dict] = field(default_factory=list)
    cells: list[CellRef] = field(default_factory=list)
    errors: list[UploadMessage] = field(default_factory=list)
    taxpayer_column: str | None = None  # its letter, where a problem of a whole row is shown
    stopped: bool = False  # read no further (a limit was reached): its figures are not even checked


@dataclass
class UploadReport:
    """The outcome of an upload, for the page: `ok` is False when anything was refused (then nothing is written)."""

    ok: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[UploadMessage] = field(default_factory=list)
    warnings: list[UploadMessage] = field(default_factory=list)
    dry_run: bool = False


# --- The template ---------------------------------------------------------------------------------


def template_workbook(
    *, cluster: Cluster, period: ReportingPeriod, enterprises: Iterable[Enterprise], user: AnyUser
) -> bytes:
    """The .xlsx template of one month for the given enterprises, pre-filled with the stored figures.

    The caller passes the enterprises (a representative's own, or all of the cluster for the office);
    any the user may not report for, or of another cluster, are left out here as well, so that a
    wrong list never hands out another enterprise's figures. Stored zero stays 0, a figure never
    reported (or stored empty) stays an empty cell.
    """
    elements = active_data_elements(cluster=cluster)
    given = list(dict.fromkeys(e for e in enterprises if e.cluster_id == cluster.pk))
    allowed = writable_enterprise_ids(user, cluster, [e.pk for e in given])
    rows = [e for e in given if e.pk in allowed]
    stored: dict[tuple[int, int], Decimal | None] = {
        (e, d): v
        for e, d, v in DataValue.objects.filter(
            period=period, enterprise_id__in=[e.pk for e in rows], data_element__in=elements
        ).values_list("enterprise_id", "data_element_id", "value")
    }

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(_("Data"))
    _fill_data_sheet(sheet, elements=elements, enterprises=rows, stored=stored)
    _fill_about_sheet(
        workbook.create_sheet(_sheet_title(_("About"))), cluster=cluster, period=period, elements=elements
    )

    workbook.properties.title = _("Monthly figures %(period)s · %(cluster)s") % {
        "period": period.key,
        "cluster": cluster.name,
    }
    workbook.properties.creator = "Cluster Platform"
    workbook.custom_doc_props.append(StringProperty(name=PERIOD_PROPERTY, value=period.key))
    workbook.custom_doc_props.append(StringProperty(name=CLUSTER_PROPERTY, value=str(cluster.pk)))
    text_only(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def text_only(workbook) -> None:
    """Write no formula: openpyxl stores a text that starts with "=" (an enterprise named "=HYPERLINK(…)") as a
    live formula. Such cells are stored as the text itself, marked (quotePrefix) so Excel keeps them text when the
    cell is edited. Every workbook the platform writes passes through here."""
    for sheet in workbook.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    cell.quotePrefix = True


def _sheet_title(title: str) -> str:
    """A translated sheet name that Excel accepts (31 characters, none of []:*?/\\)."""
    cleaned = "".join("-" if c in "[]:*?/\\" else c for c in title).strip("'")
    return cleaned[:31] or "Sheet"


def _fill_data_sheet(sheet, *, elements: list[DataElement], enterprises: list[Enterprise], stored: dict) -> None:
    header_font = Font(bold=True)
    codes = [TAXPAYER_COLUMN, ENTERPRISE_COLUMN] + [e.code for e in elements]
    labels = [_("Taxpayer id (STIR)"), _("Enterprise")] + [
        _("%(label)s (%(unit)s)") % {"label": e.label, "unit": e.get_unit_display()} for e in elements
    ]
    sheet.append(codes)
    sheet.append(labels)
    for cell in sheet[1]:
        cell.font = header_font
        cell.fill = HEADER_FILL
    for cell in sheet[2]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = HEADER_FILL
    sheet.row_dimensions[2].height = 45

    for row_number, enterprise in enumerate(enterprises, start=FIRST_DATA_ROW):
        taxpayer = sheet.cell(row=row_number, column=1, value=str(enterprise.taxpayer_id))
        taxpayer.number_format = "@"  # text: Excel must not turn a taxpayer id into a number
        taxpayer.fill = READ_ONLY_FILL
        sheet.cell(row=row_number, column=2, value=enterprise.name).fill = READ_ONLY_FILL
        for offset, element in enumerate(elements):
            cell = sheet.cell(row=row_number, column=3 + offset)
            value = stored.get((enterprise.pk, element.pk))
            if value is not None:  # 0 is a figure: only a missing or empty one stays blank
                cell.value = _cell_number(value)
            cell.number_format = INTEGER_FORMAT if element.is_integer else DECIMAL_FORMAT

    last_row = FIRST_DATA_ROW + len(enterprises) - 1
    if enterprises and elements:
        whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        number = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
        for validation, error in (
            (whole, _("Enter a whole number, 0 or more.")),
            (number, _("Enter a number, 0 or more.")),
        ):
            validation.error = error
            validation.errorTitle = _("Not a valid figure")
            validation.showErrorMessage = True
            sheet.add_data_validation(validation)
        for offset, element in enumerate(elements):
            letter = get_column_letter(3 + offset)
            (whole if element.is_integer else number).add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")

    sheet.freeze_panes = sheet.cell(row=FIRST_DATA_ROW, column=3)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = max([24] + [min(len(e.name), 50) + 2 for e in enterprises])
    for offset, element in enumerate(elements):
        sheet.column_dimensions[get_column_letter(3 + offset)].width = max(14, min(len(element.code) + 2, 28))


def _cell_number(value: Decimal) -> int | Decimal:
    """A stored figure as Excel shows it: whole numbers as integers, others without trailing zeros."""
    if value == value.to_integral_value():
        return int(value)
    return value.normalize()


def _fill_about_sheet(sheet, *, cluster: Cluster, period: ReportingPeriod, elements: list[DataElement]) -> None:
    bold = Font(bold=True)
    sheet.append([_("Monthly figures: Excel template")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append([_("Cluster"), cluster.name])
    sheet.append([_("Month"), period.key])
    sheet.append([_("Prepared on"), timezone.localdate().isoformat()])
    for row in (3, 4, 5):
        sheet.cell(row=row, column=1).font = bold
    sheet.append([])
    instructions = [
        _("How to fill it in"),
        _("Enter this month's figures on the first sheet, one row per enterprise, one column per figure."),
        _("Type numbers only: formulas are not accepted. Leave a cell empty when the figure is not known yet."),
        _("Zero is a figure: enter 0 when the value is zero. An empty cell does not erase a figure already saved."),
        _("Do not change the first two rows or the taxpayer id column; keep the file as .xlsx."),
        _(
            "Upload the file on the platform's page of this month. If one figure breaks a rule, nothing is saved "
            "and every problem is listed with its row and column."
        ),
    ]
    sheet.append([instructions[0]])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    for line in instructions[1:]:
        sheet.append([line])
    sheet.append([])
    sheet.append([_("Code"), _("Figure"), _("Unit"), _("Value"), _("Explanation")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
        cell.fill = HEADER_FILL
    for element in elements:
        sheet.append(
            [
                element.code,
                str(element.label),
                element.get_unit_display(),
                element.get_value_type_display(),
                str(element.help),
            ]
        )
    for letter, width in zip("ABCDE", (24, 40, 24, 16, 80), strict=True):
        sheet.column_dimensions[letter].width = width


# --- Checking the file before it is opened ---------------------------------------------------------


def _not_a_workbook() -> ValidationError:
    return ValidationError(
        _(
            "The file is not an Excel workbook (.xlsx). In Excel, save it with File › Save as › "
            "“Excel Workbook (.xlsx)” and upload it again."
        ),
        code="not_xlsx",
    )


def upload_check(*, uploaded_file) -> None:
    """Refuse a file that is not a plain .xlsx workbook of a sane size, without decompressing anything.

    Raises ValidationError (codes: not_xlsx, too_large, too_many_parts, unpacks_too_large, macros), so a
    form's clean_file may call it as well. Only the zip directory is read: the declared unpacked size
    of every member counts, and Python's zip reader never returns more than a member declares (a
    member that lies fails its checksum), so the declared total bounds the work openpyxl can be made to do.
    """
    name = getattr(uploaded_file, "name", "") or ""
    if os.path.splitext(name)[1].lower() != ".xlsx":
        raise _not_a_workbook()
    size = _size(uploaded_file)
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)s, the largest file accepted. Upload one month's template only.")
            % {"limit": filesizeformat(MAX_UPLOAD_BYTES)},
            code="too_large",
        )
    uploaded_file.seek(0)
    if uploaded_file.read(len(OLE_MAGIC)) == OLE_MAGIC:
        raise ValidationError(
            _(
                "The file is not an Excel workbook (.xlsx): it is an old Excel 97–2003 file (.xls) or a workbook "
                "protected by a password. Save it as “Excel Workbook (.xlsx)” without a password and upload it again."
            ),
            code="not_xlsx",
        )
    uploaded_file.seek(0)
    try:
        if not zipfile.is_zipfile(uploaded_file):
            raise _not_a_workbook()
        uploaded_file.seek(0)
        with zipfile.ZipFile(uploaded_file) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise ValidationError(
                    _("The workbook has too many parts (%(count)s) to be a monthly template.")
                    % {"count": len(members)},
                    code="too_many_parts",
                )
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise ValidationError(
                    _("The workbook unpacks to more than %(limit)s: it is refused.")
                    % {"limit": filesizeformat(MAX_UNPACKED_BYTES)},
                    code="unpacks_too_large",
                )
            if any(m.file_size > MAX_PART_BYTES for m in members):
                raise ValidationError(
                    _(
                        "A part of the workbook (a sheet, its text table, styles or pictures) is larger than "
                        "%(limit)s, far more than a monthly template holds: it is refused."
                    )
                    % {"limit": filesizeformat(MAX_PART_BYTES)},
                    code="part_too_large",
                )
            names = {m.filename for m in members}
            if not all(required in names for required in REQUIRED_MEMBERS):
                raise _not_a_workbook()
            content_types = archive.getinfo("[Content_Types].xml")
            if content_types.file_size > MAX_CONTENT_TYPES_BYTES:
                raise _not_a_workbook()
            declared = archive.read(content_types).lower()
            if (
                any(n.lower().endswith("vbaproject.bin") or n.lower().startswith("xl/macrosheets/") for n in names)
                or b"macroenabled" in declared
                or b"vbaproject" in declared
            ):
                raise ValidationError(
                    _(
                        "The workbook contains macros, which are not accepted. Save it as “Excel Workbook (.xlsx)” "
                        "(not .xlsm) and upload it again."
                    ),
                    code="macros",
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        # A broken directory, an encrypted member or an unsupported compression: not something to open.
        raise _not_a_workbook() from error
    finally:
        uploaded_file.seek(0)


def _size(uploaded_file) -> int:
    size = getattr(uploaded_file, "size", None)
    if size is not None:
        return size
    uploaded_file.seek(0, os.SEEK_END)
    size = uploaded_file.tell()
    uploaded_file.seek(0)
    return size


# --- Reading the figures --------------------------------------------------------------------------


def workbook_rows(*, uploaded_file, cluster: Cluster, period_key: str) -> SheetRows:
    """Check the file, then read its figures as rows for `data_values_write` of the month `period_key`.

    Never raises for what the user sent: every problem is in `errors`. The figures are read from
    the first sheet whose row 1 has a "taxpayer_id" column; row 2 holds the template's names and
    units and is skipped; empty cells are skipped (an empty cell never erases a stored figure).
    """
    result = SheetRows()
    try:
        parse_month(period_key)
    except ValueError:
        result.errors.append(UploadMessage(_("Give the month as YYYY-MM.")))
        return result
    try:
        upload_check(uploaded_file=uploaded_file)
    except ValidationError as error:
        result.errors.extend(UploadMessage(message) for message in error.messages)
        return result

    codes = set(DataElement.objects.values_list("code", flat=True))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (extensions, default styles): nothing for the user.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(uploaded_file, read_only=True, data_only=False)
            try:
                _check_origin(workbook, result, cluster=cluster, period_key=period_key)
                if not result.errors:
                    _read_sheet(workbook, result, codes=codes, period_key=period_key)
            finally:
                workbook.close()
    except Exception:  # untrusted XML may break openpyxl anywhere: the user gets a message, the log the trace
        logger.info("Excel upload could not be read", exc_info=True)
        return SheetRows(errors=[UploadMessage(_("The workbook could not be read. Save it again in Excel as .xlsx."))])
    if not result.errors and not result.rows:
        result.errors.append(
            UploadMessage(_("The file holds no figures: enter them below the two header rows of the first sheet."))
        )
    return result


def _check_origin(workbook, result: SheetRows, *, cluster: Cluster, period_key: str) -> None:
    """Refuse a template of another month or cluster: the figures would land in the wrong place."""
    properties = {p.name: getattr(p, "value", None) for p in workbook.custom_doc_props}
    file_period = properties.get(PERIOD_PROPERTY)
    if file_period and str(file_period) != period_key:
        result.errors.append(
            UploadMessage(
                _(
                    "This file is the template of %(file)s, not of %(period)s. Upload it on the page of %(file)s, "
                    "or download the template of %(period)s."
                )
                % {"file": file_period, "period": period_key}
            )
        )
    file_cluster = properties.get(CLUSTER_PROPERTY)
    if file_cluster and str(file_cluster) != str(cluster.pk):
        result.errors.append(UploadMessage(_("This file is the template of another cluster.")))


def _find_sheet(workbook):
    """The first worksheet whose first row names a taxpayer_id column (sheet names are translated)."""
    for sheet in workbook.worksheets:
        if not hasattr(sheet, "reset_dimensions"):
            continue  # a chart sheet
        # The <dimension> a file declares may be wrong or absurd (A1:XFD1048576): read the cells it has.
        sheet.reset_dimensions()
        for header in sheet.iter_rows(min_row=1, max_row=1, values_only=True):
            if any(_header(value) == TAXPAYER_COLUMN for value in header):
                return sheet
    return None


def _header(value) -> str:
    return str(value).strip().lower() if value is not None else ""


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _taxpayer_id(value) -> str:
    """A taxpayer id as text, also when Excel turned it into a number."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_sheet(workbook, result: SheetRows, *, codes: set[str], period_key: str) -> None:
    sheet = _find_sheet(workbook)
    if sheet is None:
        result.errors.append(
            UploadMessage(
                _("No sheet has a “%(column)s” column in its first row: keep the two header rows of the template.")
                % {"column": TAXPAYER_COLUMN}
            )
        )
        return
    rows = sheet.iter_rows()
    header = next(rows, ())
    if len(header) > MAX_SHEET_COLUMNS:
        result.errors.append(_too_big(_("The first row has more than %(limit)s columns."), MAX_SHEET_COLUMNS))
        result.stopped = True
        return

    taxpayer_column: int | None = None
    columns: dict[int, str] = {}  # column index (0-based) → data-element code
    seen: dict[str, str] = {}
    for index, cell in enumerate(header):
        name = _header(cell.value)
        letter = get_column_letter(index + 1)
        if not name or name == ENTERPRISE_COLUMN:
            continue
        if name in seen:
            result.errors.append(
                UploadMessage(
                    _("Column %(column)s: “%(header)s” appears twice in the first row (also column %(other)s).")
                    % {"column": letter, "header": name, "other": seen[name]}
                )
            )
            continue
        seen[name] = letter
        if name == TAXPAYER_COLUMN:
            taxpayer_column = index
        elif name in codes:
            columns[index] = name
        else:
            result.errors.append(
                UploadMessage(
                    _(
                        "Column %(column)s: “%(header)s” in the first row is not the code of a data element. "
                        "Keep the header rows of the template, or delete the column."
                    )
                    % {"column": letter, "header": cell.value}
                )
            )
    if result.errors or taxpayer_column is None:
        return
    result.taxpayer_column = get_column_letter(taxpayer_column + 1)
    known = (
        set(columns) | {taxpayer_column} | {i for i, c in enumerate(header) if _header(c.value) == ENTERPRISE_COLUMN}
    )
    unnamed: set[int] = set()

    figures_limit = settings.KPI_MAX_BATCH_ROWS
    cells_read = len(header)
    for row_number, cells in enumerate(rows, start=2):
        cells_read += len(cells)
        if row_number > MAX_SHEET_ROWS + 1 or cells_read > MAX_SHEET_CELLS or len(cells) > MAX_SHEET_COLUMNS:
            result.errors.append(
                _too_big(
                    _("The sheet goes on past %(limit)s rows or holds far more cells than a template."), MAX_SHEET_ROWS
                )
            )
            result.stopped = True
            return
        values = [c.value for c in cells]
        taxpayer_cell = cells[taxpayer_column] if taxpayer_column < len(cells) else None
        taxpayer = taxpayer_cell.value if taxpayer_cell is not None else None
        if row_number == 2 and _is_label_row(taxpayer, [values[i] for i in columns if i < len(values)]):
            continue
        for index, value in enumerate(values):
            if index not in known and index not in unnamed and not _is_empty(value):
                unnamed.add(index)
                result.errors.append(
                    UploadMessage(
                        _("This column has entries but no data-element code in its first row."),
                        row=row_number,
                        column=get_column_letter(index + 1),
                        header="",
                    )
                )
        figures = [(i, cells[i]) for i in columns if i < len(cells) and not _is_empty(cells[i].value)]
        if not figures:
            continue
        if _is_empty(taxpayer):
            result.errors.append(
                UploadMessage(
                    _("Enter the taxpayer id (STIR) of the enterprise these figures belong to."),
                    row=row_number,
                    column=get_column_letter(taxpayer_column + 1),
                    header=TAXPAYER_COLUMN,
                )
            )
            continue
        for index, cell in figures:
            ref = CellRef(row=row_number, column=get_column_letter(index + 1), header=columns[index])
            if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.lstrip().startswith("=")):
                result.errors.append(
                    UploadMessage(
                        _("This cell holds a formula: enter the number, not a formula."),
                        row=ref.row,
                        column=ref.column,
                        header=ref.header,
                    )
                )
                continue
            if len(result.rows) >= figures_limit:
                result.errors.append(
                    _too_big(
                        _("The file holds more than %(limit)s figures, the most one upload takes: split it."),
                        figures_limit,
                    )
                )
                result.stopped = True
                return
            result.rows.append(
                {
                    "enterprise": _taxpayer_id(taxpayer),
                    "period": period_key,
                    "data_element": columns[index],
                    "value": cell.value,
                }
            )
            result.cells.append(ref)


def _too_big(message: str, limit: int) -> UploadMessage:
    """A file refused for its size, read no further: the limit in the person's digits."""
    return UploadMessage(message % {"limit": f"{limit:,}".replace(",", "\u00a0")})


def _is_label_row(taxpayer, figures: list) -> bool:
    """Row 2 of the template: text (not a taxpayer id) at the left and no number among the figures."""
    if not isinstance(taxpayer, str) or taxpayer.strip().isdigit():
        return False
    return not any(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in figures)


# --- The upload -----------------------------------------------------------------------------------


def excel_upload(
    *,
    cluster: Cluster,
    user: AnyUser,
    uploaded_file,
    period_key: str,
    dry_run: bool = False,
    now: datetime.datetime | None = None,
) -> UploadReport:
    """Read an uploaded template and write its figures as one batch: all of them, or none.

    The figures go through `data_values_write` (channel "excel", atomic), so the hard rules, the
    permission to report for each enterprise and the month's lock hold as in the form and the API.
    When the file itself has problems (a formula, an unknown column), the figures it does hold are
    still checked in a dry run, so that the user sees every problem at once; nothing is written.
    """
    sheet = workbook_rows(uploaded_file=uploaded_file, cluster=cluster, period_key=period_key)
    figures = len(sheet.rows)
    if sheet.errors and (not sheet.rows or sheet.stopped):
        return UploadReport(
            ok=False, rejected=figures, errors=_capped(sheet.errors, are_warnings=False), dry_run=dry_run
        )

    result: WriteResult = data_values_write(
        cluster=cluster,
        user=user,
        rows=sheet.rows,
        channel=Channel.EXCEL,
        dry_run=dry_run or bool(sheet.errors),
        atomic=True,
        now=now,
    )
    errors = _located(result.conflicts, sheet) + sheet.errors
    notes = _located(result.warnings, sheet)
    if errors:
        return UploadReport(
            ok=False,
            rejected=figures,
            errors=_capped(errors, are_warnings=False),
            warnings=_capped(notes, are_warnings=True),
            dry_run=dry_run,
        )
    return UploadReport(
        ok=True,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        rejected=result.rejected,
        warnings=_capped(notes, are_warnings=True),
        dry_run=dry_run,
    )


def _located(problems: list[Problem], sheet: SheetRows) -> list[UploadMessage]:
    """Each problem of the batch at its cell; a problem of the enterprise or month at the taxpayer id cell.

    The row index of a problem is the index into `sheet.rows`; a message about the whole row (wrong
    enterprise, month not open) would repeat for every figure of the row, so it is given once per row.
    """
    taxpayer_column = sheet.taxpayer_column
    messages: list[UploadMessage] = []
    seen: set[tuple] = set()
    for problem in problems:
        if not 0 <= problem.row < len(sheet.cells):
            messages.append(UploadMessage(problem.message))
            continue
        ref = sheet.cells[problem.row]
        if problem.field in ("enterprise", "period"):
            message = UploadMessage(problem.message, row=ref.row, column=taxpayer_column, header=TAXPAYER_COLUMN)
        else:
            message = UploadMessage(problem.message, row=ref.row, column=ref.column, header=ref.header)
        key = (message.row, message.column, message.message)
        if key not in seen:
            seen.add(key)
            messages.append(message)
    return messages


def _capped(messages: list[UploadMessage], *, are_warnings: bool) -> list[UploadMessage]:
    messages = sorted(messages, key=lambda m: m.sort_key)
    if len(messages) <= MAX_MESSAGES:
        return messages
    more = len(messages) - MAX_MESSAGES
    if are_warnings:
        tail = ngettext("…and %(count)s more warning.", "…and %(count)s more warnings.", more)
    else:
        tail = ngettext("…and %(count)s more problem.", "…and %(count)s more problems.", more)
    return messages[:MAX_MESSAGES] + [UploadMessage(tail % {"count": more})]


__all__ = [
    "MAX_PART_BYTES",
    "MAX_SHEET_CELLS",
    "MAX_SHEET_COLUMNS",
    "MAX_SHEET_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "CellRef",
    "SheetRows",
    "UploadMessage",
    "UploadReport",
    "excel_upload",
    "template_workbook",
    "text_only",
    "upload_check",
    "workbook_rows",
]
