"""The figures go to PostgreSQL in COPY's text format: what one batch looks like, written by hand."""

import datetime
from decimal import Decimal

from kpi.services.ingest import _copy_text

AT = datetime.datetime(2026, 12, 7, 8, 0, tzinfo=datetime.UTC)


def test_a_batch_in_copy_text_format():
    rows = [
        (7, 11, 3, 1, Decimal("1250.5000"), "", AT, 4, True, "api"),
        (7, 12, 3, 2, None, "tab\there, new\nline and back\\slash", AT, None, False, "api"),
        (7, 13, 3, 2, Decimal("0"), "ok", AT, 4, True, "api"),
    ]
    assert _copy_text(rows).getvalue() == (
        "7\t11\t3\t1\t1250.5000\t\t2026-12-07T08:00:00+00:00\t4\tt\tapi\n"
        "7\t12\t3\t2\t\\N\ttab\\there, new\\nline and back\\\\slash\t2026-12-07T08:00:00+00:00\t\\N\tf\tapi\n"
        "7\t13\t3\t2\t0\tok\t2026-12-07T08:00:00+00:00\t4\tt\tapi\n"
    )


def test_no_rows_no_text():
    assert _copy_text([]).getvalue() == ""
