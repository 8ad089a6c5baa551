"""Charts people can read: in the page's language, fitting their container, with their figures as a table."""

import datetime
import json
import re

from django.utils import translation

from core.figures import Figure, trace


def payload(html: str):
    """The arguments the page's script gives Plotly.newPlot."""
    found = re.search(r"Plotly\.newPlot\(\"figure-[0-9a-f]+\", \.\.\.(\[.*\])\);platformFitChart", html)
    assert found, html
    return json.loads(found.group(1))


def monthly(title="Oyma-oy"):
    months = [datetime.date(2026, m, 1) for m in (1, 2, 3)]
    return Figure(
        trace("scatter", x=months, y=[1.5, 1234.5, None], name="Klaster"),
        trace("scatter", x=[months[0], months[-1]], y=[2.0, 2.0], name="Maqsad"),
    ).update_layout(title=title)


def test_a_chart_speaks_the_pages_language():
    with translation.override("uz"):
        html = monthly().html()
    data, layout, config = payload(html)
    assert config["locale"] == "uz" and config["responsive"] is True
    assert layout["separators"] == ",\xa0"  # decimal comma, thin space between thousands
    registered = json.loads(re.search(r"Plotly\.register\((\{.*?\})\);", html).group(1))
    assert registered["name"] == "uz" and registered["format"]["months"][0] == "Yanvar"
    assert registered["format"]["shortMonths"][:2] == ["Yan", "Fev"]
    with translation.override("ru"):
        _data, _layout, ru = payload(monthly().html())
    assert ru["locale"] == "ru"


def test_a_chart_fills_its_container_instead_of_a_fixed_width():
    data, layout, config = payload(monthly().html(280))
    assert "width" not in layout and layout["autosize"] is True and layout["height"] == 280


def test_a_chart_is_an_image_named_by_its_title_with_its_figures_as_a_table():
    with translation.override("uz"):
        html = monthly("Nuqson <darajasi>").html()
    assert 'role="img" aria-label="Nuqson &lt;darajasi&gt;"' in html
    table = html[html.index("<table>") :]
    assert "<caption>Nuqson &lt;darajasi&gt;</caption>" in table
    assert '<th scope="col">Klaster</th><th scope="col">Maqsad</th>' in table
    # Month names and numbers as the reader writes them; a missing value as a dash, not "None".
    assert '<th scope="row">Yanvar 2026-yil</th><td>1,50</td><td>2</td>' in table
    assert "<td>1\xa0234,5</td>" in table
    assert '<th scope="row">Mart 2026-yil</th><td>—</td><td>2</td>' in table


def test_a_chart_can_give_its_own_table_and_script_text_stays_text():
    figure = Figure(trace("scatter", x=[0, 1], y=[0, 1], text=["</script><script>alert(1)</script>"]))
    figure.update_layout(title="Tarmoq")
    html = figure.html(table=(["Yetkazib beruvchi", "Xaridor"], [["A <b>", "B"]]))
    assert "</script><script>alert" not in html
    assert "<td>B</td>" in html and "A &lt;b&gt;" in html


def test_a_heatmap_table_reads_its_rows_and_columns():
    figure = Figure(
        trace("heatmap", z=[[3, 0]], x=["2026-01", "2026-02"], y=["Buxoro Ip"], text=[["On time", "Missing"]])
    )
    html = figure.update_layout(title="Hisobot").html()
    assert '<th scope="row">Buxoro Ip</th><td>On time</td><td>Missing</td>' in html
