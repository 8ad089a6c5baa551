"""Numbers as people read them: a percentage's change in percentage points, signs shown, the language's format."""

from decimal import Decimal

from django.utils import translation

from kpi.formatting import display, display_change, xlsx_change_format, xlsx_format


def test_a_percentages_change_reads_in_percentage_points_with_its_sign():
    with translation.override("en"):
        assert display_change(Decimal("0.006"), "percent") == "+0.6 p.p."
        assert display_change(Decimal("-0.0125"), "percent") == "−1.2 p.p."
        assert display_change(Decimal("0"), "percent") == "±0.0 p.p."
        assert display_change(Decimal("1500.25"), "thousand_uzs") == "+1,500"
        assert display_change(None, "percent") == "—"


def test_the_language_writes_the_number():
    with translation.override("uz"):
        assert display(Decimal("0.0362"), "percent") == "3,6 %"
        assert display_change(Decimal("0.006"), "percent") == "+0,6 f.p."
    with translation.override("ru"):
        assert display_change(Decimal("-0.006"), "percent") == "−0,6 п.п."


def test_spreadsheet_cells_carry_their_units_number_format():
    assert xlsx_format("percent") == "0.0%" and xlsx_format("count") == "#,##0"
    with translation.override("en"):
        assert xlsx_change_format("percent") == '+0.0" p.p.";-0.0" p.p.";0.0" p.p."'
