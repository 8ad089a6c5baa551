# ruff: noqa: E501 - the parts of a workbook, as Excel writes them
"""Workbooks an attacker (or a confused ERP export) could upload: small on disk, expensive to read.

Written part by part with zipfile (openpyxl would take minutes to write a million rows): a template's header
rows, then as many rows of figures as asked, with inline strings so the file needs no shared-strings part, or
with a huge shared-strings part instead.
"""

from __future__ import annotations

import io
import zipfile

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
{shared_override}</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
{shared_rel}</Relationships>"""
SHARED_OVERRIDE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>\n'
)
SHARED_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>\n'
)


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def many_rows(
    *, rows: int, codes: list[str], taxpayer_id: str = "311402567", shared_strings: int = 0, first_row: int = 2
) -> bytes:
    """A workbook whose first sheet is a template with `rows` rows of figures for one enterprise (each row the
    same taxpayer id) from `first_row` on, and `shared_strings` unused strings in a shared-strings part."""
    header = ["taxpayer_id", "enterprise", *codes]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(
            "[Content_Types].xml", CONTENT_TYPES.format(shared_override=SHARED_OVERRIDE if shared_strings else "")
        )
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr(
            "xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(shared_rel=SHARED_REL if shared_strings else "")
        )
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            cells = "".join(_inline(f"{_column(i)}1", code) for i, code in enumerate(header))
            sheet.write(f'<row r="1">{cells}</row>'.encode())
            for number in range(first_row, first_row + rows):
                cells = _inline(f"A{number}", taxpayer_id) + "".join(
                    f'<c r="{_column(i + 2)}{number}"><v>{number % 97}</v></c>' for i in range(len(codes))
                )
                sheet.write(f'<row r="{number}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        if shared_strings:
            with archive.open("xl/sharedStrings.xml", "w") as shared:
                shared.write(
                    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
                    f'spreadsheetml/2006/main" count="{shared_strings}" uniqueCount="{shared_strings}">'.encode()
                )
                for number in range(shared_strings):
                    shared.write(f"<si><t>Shirkat {number:09d}</t></si>".encode())
                shared.write(b"</sst>")
    return out.getvalue()
