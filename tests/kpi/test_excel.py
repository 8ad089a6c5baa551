"""The Excel channel: the template goes out pre-filled, the upload comes back checked, all or nothing."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kpi import excel
from kpi.models import DataValue, DataValueChange, add_months
from tests.kpi.factories import DataValueFactory, ReportingPeriodFactory, element

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The messages are compared in English, whatever language an earlier test left active in the thread."""
    with translation.override("en"):
        yield


# --- Helpers --------------------------------------------------------------------------------------


def template(cluster, period, enterprises, user) -> openpyxl.Workbook:
    content = excel.template_workbook(cluster=cluster, period=period, enterprises=enterprises, user=user)
    return openpyxl.load_workbook(io.BytesIO(content))


def column_of(sheet, code: str) -> str:
    for cell in sheet[1]:
        if cell.value == code:
            return cell.column_letter
    raise AssertionError(f"no column {code}")


def row_of(sheet, enterprise) -> int:
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        if cell.value == enterprise.taxpayer_id:
            return cell.row
    raise AssertionError(f"no row for {enterprise}")


def fill(workbook, enterprise, **figures) -> None:
    sheet = workbook.worksheets[0]
    row = row_of(sheet, enterprise)
    for code, value in figures.items():
        sheet[f"{column_of(sheet, code)}{row}"] = value


def as_upload(workbook, name="figures.xlsx") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/octet-stream")


def upload(cluster, user, uploaded_file, period, **kwargs) -> excel.UploadReport:
    return excel.excel_upload(cluster=cluster, user=user, uploaded_file=uploaded_file, period_key=period.key, **kwargs)


def texts(messages) -> list[str]:
    """The messages as the page shows them (sizes carry a no-break space: compared as a space)."""
    return [str(m).replace("\xa0", " ") for m in messages]


def stored(enterprise, period, code):
    return DataValue.objects.get(enterprise=enterprise, period=period, data_element__code=code).value


def nothing_written() -> bool:
    return not DataValue.objects.exists() and not DataValueChange.objects.exists()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


WORKBOOK_PARTS = {
    "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"/>',
    "xl/workbook.xml": b'<?xml version="1.0"?><workbook/>',
}


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Make any attempt to open the workbook fail the test: the file must be refused before."""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


# --- The template ---------------------------------------------------------------------------------


def test_template_has_codes_names_and_one_row_per_enterprise(cluster, period, enterprise, representative):
    workbook = template(cluster, period, [enterprise], representative)
    sheet, about = workbook.worksheets
    assert sheet.title == "Data" and about.title == "About"
    codes = [c.value for c in sheet[1]]
    assert codes[:2] == ["taxpayer_id", "enterprise"]
    assert {"total_output", "produced_units", "defective_units"} <= set(codes)
    assert "coop_contracts" not in codes  # its KPI is inactive by default: not collected
    labels = {c.value for c in sheet[2]}
    assert "Defective units (units)" in labels and "Total output (thousand UZS)" in labels
    assert [(r[0].value, r[1].value) for r in sheet.iter_rows(min_row=3)] == [("301000001", "Buxoro Ip Yigiruv MChJ")]
    assert sheet.freeze_panes == "C3"
    assert sheet[f"{column_of(sheet, 'defective_units')}3"].number_format == "#,##0"
    assert sheet[f"{column_of(sheet, 'total_output')}3"].number_format == "#,##0.00##"
    about_cells = {c.value for row in about.iter_rows() for c in row}
    assert {period.key, "Bukhara Cotton-Textile Cluster", "Month", "Cluster"} <= about_cells


def test_a_template_in_another_language_is_read_back(cluster, period, enterprise, representative):
    """Sheet names and the label row are translated: the upload relies on neither (the codes of row 1 count)."""
    workbook = template(cluster, period, [enterprise], representative)
    sheet = workbook.worksheets[0]
    sheet.title, workbook.worksheets[1].title = "Данные", "О файле"
    for cell in sheet[2]:
        cell.value = f"Показатель {cell.column}"
    fill(workbook, enterprise, employees=12)

    with translation.override("ru"):
        report = upload(cluster, representative, as_upload(workbook), period)

    assert report.ok, texts(report.errors)
    assert stored(enterprise, period, "employees") == 12


def test_template_is_pre_filled_and_keeps_zero_apart_from_empty(cluster, period, enterprise, representative):
    DataValueFactory(enterprise=enterprise, period=period, data_element=element("total_output"), value="1500.5")
    DataValueFactory(enterprise=enterprise, period=period, data_element=element("defective_units"), value=0)
    DataValueFactory(enterprise=enterprise, period=period, data_element=element("employees"), value=None)
    sheet = template(cluster, period, [enterprise], representative).worksheets[0]
    assert sheet[f"{column_of(sheet, 'total_output')}3"].value == 1500.5
    assert sheet[f"{column_of(sheet, 'defective_units')}3"].value == 0
    assert sheet[f"{column_of(sheet, 'employees')}3"].value is None
    assert sheet[f"{column_of(sheet, 'produced_units')}3"].value is None


def test_template_holds_only_the_figures_of_its_month(cluster, period, enterprise, representative):
    earlier = ReportingPeriodFactory(cluster=cluster, month=add_months(period.month, -1))
    DataValueFactory(enterprise=enterprise, period=earlier, data_element=element("total_output"), value=777)
    sheet = template(cluster, period, [enterprise], representative).worksheets[0]
    assert sheet[f"{column_of(sheet, 'total_output')}3"].value is None


def test_office_template_has_every_enterprise_and_a_representative_only_their_own(
    cluster, period, enterprise, neighbour, office_user, representative
):
    DataValueFactory(enterprise=neighbour, period=period, data_element=element("total_output"), value=900)
    office_sheet = template(cluster, period, [enterprise, neighbour], office_user).worksheets[0]
    assert [r[0].value for r in office_sheet.iter_rows(min_row=3)] == ["301000001", "301000002"]
    assert office_sheet[f"{column_of(office_sheet, 'total_output')}4"].value == 900

    # A wrong list from the caller still never hands the neighbour's figures to the representative.
    own_sheet = template(cluster, period, [enterprise, neighbour], representative).worksheets[0]
    assert [r[0].value for r in own_sheet.iter_rows(min_row=3)] == ["301000001"]
    assert 900 not in {c.value for row in own_sheet.iter_rows() for c in row}


# --- Round trip -----------------------------------------------------------------------------------


def test_round_trip_stores_the_figures_and_audits_them_as_excel(cluster, period, enterprise, representative):
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, total_output=1250.75, produced_units=1000, defective_units=0, employees="45")

    report = upload(cluster, representative, as_upload(workbook), period)

    assert report.ok, texts(report.errors)
    assert (report.created, report.updated, report.unchanged, report.rejected) == (4, 0, 0, 0)
    assert stored(enterprise, period, "total_output") == Decimal("1250.75")
    assert stored(enterprise, period, "produced_units") == 1000
    assert stored(enterprise, period, "defective_units") == 0  # zero is a figure, not empty
    assert stored(enterprise, period, "employees") == 45
    assert DataValue.objects.count() == 4  # the empty cells were not sent
    changes = DataValueChange.objects.all()
    assert changes.count() == 4
    assert set(changes.values_list("channel", flat=True)) == {"excel"}
    assert set(changes.values_list("changed_by", flat=True)) == {representative.pk}


def test_uploading_the_pre_filled_template_again_changes_nothing(cluster, period, enterprise, representative):
    DataValueFactory(enterprise=enterprise, period=period, data_element=element("total_output"), value=1500)
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, employees=12)

    report = upload(cluster, representative, as_upload(workbook), period)

    assert report.ok and (report.created, report.updated, report.unchanged) == (1, 0, 1)


def test_an_emptied_cell_does_not_erase_a_stored_figure(cluster, period, enterprise, representative):
    DataValueFactory(enterprise=enterprise, period=period, data_element=element("total_output"), value=1500)
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, total_output=None, employees=12)

    report = upload(cluster, representative, as_upload(workbook), period)

    assert report.ok
    assert stored(enterprise, period, "total_output") == 1500


def test_the_office_uploads_the_whole_cluster_in_one_file(cluster, period, enterprise, neighbour, office_user):
    workbook = template(cluster, period, [enterprise, neighbour], office_user)
    fill(workbook, enterprise, employees=10)
    fill(workbook, neighbour, employees=20)

    report = upload(cluster, office_user, as_upload(workbook), period)

    assert report.ok and report.created == 2
    assert (stored(enterprise, period, "employees"), stored(neighbour, period, "employees")) == (10, 20)


def test_a_dry_run_counts_and_writes_nothing(cluster, period, enterprise, representative):
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, employees=12)

    report = upload(cluster, representative, as_upload(workbook), period, dry_run=True)

    assert report.ok and report.dry_run and report.created == 1
    assert nothing_written()


# --- Refused figures: the whole file, with row and column -------------------------------------------


def test_one_hard_rule_violation_rejects_the_whole_file_and_names_row_and_column(
    cluster, period, enterprise, representative
):
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, total_output=500, produced_units=100, defective_units=150)
    column = column_of(workbook.worksheets[0], "defective_units")

    report = upload(cluster, representative, as_upload(workbook), period)

    assert not report.ok
    assert texts(report.errors) == [
        f"Row 3, column {column} (defective_units): Defective units cannot exceed units produced."
    ]
    assert (report.errors[0].row, report.errors[0].column, report.errors[0].header) == (3, column, "defective_units")
    assert report.created == 0 and report.rejected == 3
    assert nothing_written()


def test_a_bad_value_is_refused_at_its_cell(cluster, period, enterprise, representative):
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, total_output=500, produced_units=10.5)
    column = column_of(workbook.worksheets[0], "produced_units")

    report = upload(cluster, representative, as_upload(workbook), period)

    assert texts(report.errors) == [f"Row 3, column {column} (produced_units): Enter a whole number."]
    assert nothing_written()


def test_another_enterprises_taxpayer_id_is_refused_for_a_representative(
    cluster, period, enterprise, neighbour, office_user, representative
):
    # The representative fills the office's template of the whole cluster.
    workbook = template(cluster, period, [enterprise, neighbour], office_user)
    fill(workbook, enterprise, employees=10)
    fill(workbook, neighbour, employees=20, total_output=300)

    report = upload(cluster, representative, as_upload(workbook), period)

    assert not report.ok
    # Once per row, at the taxpayer id, not once per figure of the row.
    assert texts(report.errors) == ["Row 4, column A (taxpayer_id): You may not report figures for this enterprise."]
    assert nothing_written()


def test_a_formula_cell_is_refused_and_nothing_is_written(cluster, period, enterprise, representative):
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, total_output=500, employees="=10+2")
    column = column_of(workbook.worksheets[0], "employees")

    report = upload(cluster, representative, as_upload(workbook), period)

    assert not report.ok
    assert texts(report.errors) == [
        f"Row 3, column {column} (employees): This cell holds a formula: enter the number, not a formula."
    ]
    assert nothing_written()


def test_file_problems_and_figure_problems_are_reported_together(cluster, period, enterprise, representative):
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, produced_units=100, defective_units=150, employees="=SUM(1,2)")

    report = upload(cluster, representative, as_upload(workbook), period)

    sheet = workbook.worksheets[0]
    expected = sorted(
        [
            (column_of(sheet, "defective_units"), "Defective units cannot exceed units produced."),
            (column_of(sheet, "employees"), "This cell holds a formula: enter the number, not a formula."),
        ],
        key=lambda pair: openpyxl.utils.column_index_from_string(pair[0]),
    )
    assert [(m.column, m.message) for m in report.errors] == expected
    assert nothing_written()


def test_a_file_wrong_everywhere_lists_the_first_problems_and_counts_the_rest(
    cluster, period, enterprise, representative, monkeypatch
):
    monkeypatch.setattr(excel, "MAX_MESSAGES", 2)
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, total_output="x", employees="y", export_revenue="z")

    report = upload(cluster, representative, as_upload(workbook), period)

    assert len(report.errors) == 3
    assert str(report.errors[-1]) == "…and 1 more problem."


def test_an_unknown_column_is_named(cluster, period, enterprise, representative):
    workbook = template(cluster, period, [enterprise], representative)
    sheet = workbook.worksheets[0]
    letter = openpyxl.utils.get_column_letter(sheet.max_column + 1)
    sheet[f"{letter}1"] = "profit"
    fill(workbook, enterprise, employees=12)

    report = upload(cluster, representative, as_upload(workbook), period)

    assert not report.ok
    assert len(report.errors) == 1
    assert f"Column {letter}: “profit”" in str(report.errors[0])
    assert nothing_written()


def test_a_sheet_without_the_taxpayer_id_column_is_refused(cluster, period, representative):
    workbook = openpyxl.Workbook()
    workbook.active.append(["enterprise", "employees"])
    workbook.active.append(["Buxoro Ip Yigiruv MChJ", 12])

    report = upload(cluster, representative, as_upload(workbook), period)

    assert not report.ok and "“taxpayer_id” column" in str(report.errors[0])


def test_figures_without_a_taxpayer_id_are_refused(cluster, period, enterprise, representative):
    workbook = openpyxl.Workbook()
    workbook.active.append(["taxpayer_id", "employees"])
    workbook.active.append([enterprise.taxpayer_id, 12])
    workbook.active.append([None, 13])

    report = upload(cluster, representative, as_upload(workbook), period)

    assert texts(report.errors) == [
        "Row 3, column A (taxpayer_id): Enter the taxpayer id (STIR) of the enterprise these figures belong to."
    ]
    assert nothing_written()


def test_a_plain_sheet_without_the_label_row_is_read_and_a_numeric_taxpayer_id_works(
    cluster, period, enterprise, representative
):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Anything"
    workbook.active.append(["taxpayer_id", "employees", "total_output"])
    workbook.active.append([int(enterprise.taxpayer_id), 12, "1 234,5"])

    report = upload(cluster, representative, as_upload(workbook), period)

    assert report.ok, texts(report.errors)
    assert stored(enterprise, period, "total_output") == Decimal("1234.5")


def test_a_template_of_another_month_is_refused(cluster, period, enterprise, representative):
    earlier = ReportingPeriodFactory(
        cluster=cluster, month=add_months(period.month, -1), deadline=period.deadline, lock_date=period.lock_date
    )
    workbook = template(cluster, earlier, [enterprise], representative)
    fill(workbook, enterprise, employees=12)

    report = upload(cluster, representative, as_upload(workbook), period)

    assert not report.ok
    assert f"template of {earlier.key}, not of {period.key}" in str(report.errors[0])
    assert nothing_written()


def test_an_empty_template_says_there_is_nothing_to_save(cluster, period, enterprise, representative):
    report = upload(cluster, representative, as_upload(template(cluster, period, [enterprise], representative)), period)
    assert not report.ok and "holds no figures" in str(report.errors[0])


def test_unusual_figures_come_back_as_warnings_at_their_cell(cluster, period, enterprise, representative):
    for months_back in (1, 2, 3):
        earlier = ReportingPeriodFactory(cluster=cluster, month=add_months(period.month, -months_back))
        DataValueFactory(enterprise=enterprise, period=earlier, data_element=element("employees"), value=100)
    workbook = template(cluster, period, [enterprise], representative)
    fill(workbook, enterprise, employees=400)
    column = column_of(workbook.worksheets[0], "employees")

    report = upload(cluster, representative, as_upload(workbook), period)

    assert report.ok and report.created == 1
    assert len(report.warnings) == 1
    assert str(report.warnings[0]).startswith(f"Row 3, column {column} (employees): 400 is far from")


# --- Refused files: checked before they are opened --------------------------------------------------


@pytest.mark.parametrize(
    "name, content",
    [
        ("figures.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
        ("figures.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
        ("figures.xlsx", b"taxpayer_id;employees\n301000001;12\n"),
        ("figures.xlsx", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
        ("figures.xlsx", b""),
        ("figures.xlsx", zip_bytes({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"})),
        ("figures.csv", zip_bytes(WORKBOOK_PARTS)),
        ("figures", zip_bytes(WORKBOOK_PARTS)),
    ],
)
def test_anything_but_an_xlsx_workbook_is_refused(cluster, period, representative, no_openpyxl, name, content):
    report = upload(cluster, representative, SimpleUploadedFile(name, content), period)

    assert not report.ok
    assert len(report.errors) == 1
    assert "The file is not an Excel workbook (.xlsx)" in str(report.errors[0])
    assert nothing_written()


def test_a_file_over_5_mb_is_refused(cluster, period, representative, no_openpyxl):
    content = b"PK" + b"\0" * excel.MAX_UPLOAD_BYTES

    report = upload(cluster, representative, SimpleUploadedFile("figures.xlsx", content), period)

    assert not report.ok
    assert texts(report.errors) == [
        "The file is larger than 5.0 MB, the largest file accepted. Upload one month's template only."
    ]


def test_a_zip_bomb_is_refused_before_it_is_opened(cluster, period, representative, no_openpyxl):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in WORKBOOK_PARTS.items():
            archive.writestr(name, data)
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            zeros = b"\0" * (1024 * 1024)
            for _megabyte in range(200):
                member.write(zeros)
    content = buffer.getvalue()
    assert len(content) < excel.MAX_UPLOAD_BYTES  # small on disk

    report = upload(cluster, representative, SimpleUploadedFile("figures.xlsx", content), period)

    assert not report.ok
    assert texts(report.errors) == ["The workbook unpacks to more than 50.0 MB: it is refused."]


def test_a_zip_of_too_many_parts_is_refused_before_it_is_opened(cluster, period, representative, no_openpyxl):
    parts = dict(WORKBOOK_PARTS) | {f"xl/media/image{i}.png": b"" for i in range(excel.MAX_MEMBERS)}

    report = upload(cluster, representative, SimpleUploadedFile("figures.xlsx", zip_bytes(parts)), period)

    assert not report.ok and "too many parts" in str(report.errors[0])


@pytest.mark.parametrize(
    "extra",
    [
        {"xl/vbaProject.bin": b"\0" * 64},
        {
            "[Content_Types].xml": b'<Types><Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'
        },
    ],
)
def test_a_workbook_with_macros_is_refused(cluster, period, enterprise, representative, extra):
    source = excel.template_workbook(cluster=cluster, period=period, enterprises=[enterprise], user=representative)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            out.writestr(info.filename, extra.get(info.filename, original.read(info)))
        for name, data in extra.items():
            if name not in original.namelist():
                out.writestr(name, data)

    report = upload(cluster, representative, SimpleUploadedFile("figures.xlsx", buffer.getvalue()), period)

    assert not report.ok
    assert texts(report.errors) == [
        "The workbook contains macros, which are not accepted. Save it as “Excel Workbook (.xlsx)” (not .xlsm) "
        "and upload it again."
    ]


def test_a_zip_that_understates_its_unpacked_size_is_refused(cluster, period, representative):
    """Python's zip reader stops at the declared size and fails the checksum: the lie is not read."""
    big = b'<?xml version="1.0"?><workbook/>' + b" " * (60 * 1024 * 1024)
    content = bytearray(
        zip_bytes({"[Content_Types].xml": WORKBOOK_PARTS["[Content_Types].xml"], "xl/workbook.xml": big})
    )
    real = len(big).to_bytes(4, "little")
    declared = (1000).to_bytes(4, "little")
    assert content.count(real) == 2  # in the local header and in the central directory
    content = content.replace(real, declared)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bytes(content))).infolist()) < excel.MAX_UNPACKED_BYTES

    report = upload(cluster, representative, SimpleUploadedFile("figures.xlsx", bytes(content)), period)

    assert not report.ok
    assert texts(report.errors) == ["The workbook could not be read. Save it again in Excel as .xlsx."]


def test_upload_check_raises_a_validation_error_for_forms():
    with pytest.raises(excel.ValidationError) as raised:
        excel.upload_check(uploaded_file=SimpleUploadedFile("figures.xlsx", b"%PDF-1.7"))
    assert raised.value.code == "not_xlsx"


def test_a_locked_month_refuses_the_upload(cluster, enterprise, office_user):
    month = datetime.date(2024, 1, 1)
    locked = ReportingPeriodFactory(cluster=cluster, month=month)
    workbook = template(cluster, locked, [enterprise], office_user)
    fill(workbook, enterprise, employees=12)

    report = upload(cluster, office_user, as_upload(workbook), locked)

    assert not report.ok
    assert str(report.errors[0]).startswith("Row 3, column A (taxpayer_id): This month is locked")
    assert nothing_written()


# --- Files within the size limits that would still take long or much memory ----------------------------


def refused_before_writing(monkeypatch):
    """Nothing reaches the write: the file is refused while it is read."""

    def no_write(**kwargs):
        raise AssertionError("a refused file reached data_values_write")

    monkeypatch.setattr(excel, "data_values_write", no_write)


def test_a_file_of_forty_thousand_rows_is_refused_early_with_a_message(
    cluster, period, enterprise, office_user, monkeypatch
):
    from tests.kpi.hostile_xlsx import many_rows

    content = many_rows(rows=40_000, codes=["total_output", "employees"], taxpayer_id=enterprise.taxpayer_id)
    assert len(content) < excel.MAX_UPLOAD_BYTES
    refused_before_writing(monkeypatch)
    report = upload(cluster, office_user, SimpleUploadedFile("figures.xlsx", content), period)
    assert not report.ok and texts(report.errors) == [
        "The file holds more than 10 000 figures, the most one upload takes: split it."
    ]
    assert nothing_written()


def test_an_empty_sheet_that_goes_on_for_a_million_rows_is_refused(
    cluster, period, enterprise, office_user, monkeypatch
):
    from tests.kpi.hostile_xlsx import many_rows

    # One row of figures, on the last row Excel has: a reader fills in the million rows before it.
    content = many_rows(rows=1, codes=["total_output"], taxpayer_id=enterprise.taxpayer_id, first_row=1_048_576)
    refused_before_writing(monkeypatch)
    report = upload(cluster, office_user, SimpleUploadedFile("figures.xlsx", content), period)
    assert not report.ok and "rows" in texts(report.errors)[0]


def test_a_huge_text_table_is_refused_before_the_workbook_is_opened(
    cluster, period, enterprise, office_user, monkeypatch
):
    from tests.kpi.hostile_xlsx import many_rows

    content = many_rows(rows=1, codes=["total_output"], taxpayer_id=enterprise.taxpayer_id, shared_strings=600_000)
    assert len(content) < excel.MAX_UPLOAD_BYTES

    def no_open(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(excel.openpyxl, "load_workbook", no_open)
    report = upload(cluster, office_user, SimpleUploadedFile("figures.xlsx", content), period)
    assert not report.ok and "larger than" in texts(report.errors)[0]


def test_text_from_users_is_text_in_the_template_never_a_formula(cluster, period, office_user):
    from tests.governance.factories import EnterpriseFactory

    cluster.name = '=HYPERLINK("http://evil.example","Ochish")'
    cluster.save()
    firm = EnterpriseFactory(cluster=cluster, name='=HYPERLINK("http://evil.example","Bosing")')
    book = template(cluster, period, [firm], office_user)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    named = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert len(named) == 2 and all(c.quotePrefix for c in named)  # the enterprise, and the cluster on "About"


def test_a_sheet_that_unpacks_to_45_mb_is_refused_before_it_is_read(
    cluster, period, enterprise, office_user, monkeypatch
):
    """3.4 MB on disk, 45 MB unpacked: without a <dimension>, opening it would parse the whole sheet to size it."""
    from tests.kpi.hostile_xlsx import many_rows

    content = many_rows(rows=240_000, codes=["total_output", "finished_output", "employees"])
    assert len(content) < excel.MAX_UPLOAD_BYTES

    def no_open(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(excel.openpyxl, "load_workbook", no_open)
    report = upload(cluster, office_user, SimpleUploadedFile("figures.xlsx", content), period)
    assert not report.ok and "larger than" in texts(report.errors)[0]
