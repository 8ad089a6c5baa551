"""PDF reports escape every text that came from users, and carry the fonts they need with them."""

import pytest
from django.urls import reverse

from kpi import reports
from tests.kpi.test_dashboards import computed, role  # noqa: F401 - the fixture
from tests.kpi.test_views import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        '<img src="/etc/passwd" width="400" height="400"/>',  # reportlab reads the file named
        "Buxoro <b> & Qorako'l",  # a stray tag: the report broke for everyone
        '<para><font name="Nope">x</font></para>',
    ],
)
def test_a_cluster_named_with_markup_is_printed_as_text(client, cluster, computed, name, monkeypatch):  # noqa: F811
    from reportlab.lib import utils

    def no_file(*args, **kwargs):
        raise AssertionError("the report read a file named in a text")

    monkeypatch.setattr(utils.ImageReader, "__init__", no_file)
    cluster.name = name
    cluster.save()
    login(client, role(cluster, "council"))
    pdf = client.get(reverse("kpi:report_download", args=["2025-03", "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert b"root:x:0:0" not in pdf.content


def test_the_fonts_ship_with_the_project(client, cluster, computed, monkeypatch):  # noqa: F811
    """No system font is read: the report renders where Debian's DejaVu fonts are missing."""
    import builtins

    opened = []
    real_open = builtins.open

    def watch(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watch)
    from reportlab.pdfbase import pdfmetrics

    monkeypatch.setattr(pdfmetrics, "_fonts", dict(pdfmetrics._fonts))  # registered afresh in this test
    for font in ("DejaVuSans", "DejaVuSans-Bold"):
        pdfmetrics._fonts.pop(font, None)
    login(client, role(cluster, "office"))
    pdf = client.get(reverse("kpi:report_download", args=["2025-03", "pdf"]))
    assert pdf.status_code == 200 and b"DejaVuSans" in pdf.content
    fonts = [p for p in opened if p.endswith(".ttf")]
    assert fonts and all(p.startswith(str(reports.FONTS)) for p in fonts)
    assert (reports.FONTS / "DejaVuSans.ttf").exists() and (reports.FONTS / "LICENSE.txt").exists()
