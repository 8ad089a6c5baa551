"""The monthly form helps: a refused save lists each error at the top with a link to its field; a soft warning
shows once, says what it compares with, and keeps quiet on figures too small to compare; a save that became a
draft says why."""

import re

import pytest

from kpi import services
from kpi.models import Submission
from tests.kpi.test_services import fill_form, history
from tests.kpi.test_views import filled, form_url, login, post_form

pytestmark = pytest.mark.django_db


def summary(html: str) -> list[tuple[str, str]]:
    """(link target, text) of each entry of the error summary."""
    block = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', html, re.S)
    assert block, "no error summary"
    return re.findall(r'<a href="#([^"]+)">(.*?)</a>', block.group(1), re.S)


def test_a_refused_save_lists_each_error_at_the_top_with_a_link_to_its_field(
    client, cluster, period, enterprise, representative
):
    login(client, representative)
    data = {**filled(cluster, produced_units="100", defective_units="150", employees="-3"), "action": "save"}
    html = post_form(client, enterprise, period, data).content.decode()
    entries = summary(html)
    targets = [target for target, _text in entries]
    assert sorted(targets) == ["id_v_defective_units", "id_v_employees"]
    assert targets == sorted(targets, key=lambda t: html.index(f'id="{t}"'))  # in the form's order
    assert any("Defective units cannot exceed units produced." in text for _t, text in entries)
    assert html.index('class="error-summary"') < html.index('id="monthly-form"')  # at the top
    assert "Nothing was saved: correct what is listed here, then save again." in html


def test_a_submit_that_became_a_draft_says_why_and_lists_what_is_missing(
    client, cluster, period, enterprise, representative
):
    login(client, representative)
    response = post_form(client, enterprise, period, {**filled(cluster, employees=""), "action": "submit"})
    html = response.content.decode()
    assert Submission.objects.get(enterprise=enterprise).status == "draft"
    assert "Saved as a draft, not submitted: 1 figure is missing." in html
    assert [target for target, _text in summary(html)] == ["id_v_employees"]


def test_a_soft_warning_shows_once_and_says_what_it_compares_with(client, cluster, period, enterprise, representative):
    history(cluster, enterprise, representative, "total_output", [10, 10, 10], period.month)
    login(client, representative)
    html = post_form(client, enterprise, period, {**filled(cluster, total_output="100"), "action": "submit"}).content
    html = html.decode()
    message = "100 is far from this enterprise&#x27;s average of the last 3 months (10)"
    # At its field once (not as a warning and again as an error), and listed in the summary at the top.
    assert [text for _target, text in summary(html)] == [
        f"Total output: {message}. Check it, and explain it in a comment."
    ]
    fields = re.sub(r'<div class="error-summary".*?</div>', "", html, flags=re.S)
    assert fields.count(message) == 1
    assert "Saved as a draft, not submitted: 1 unusual figure needs a comment." in html
    # Opened again, the form shows it once too.
    assert client.get(form_url(enterprise, period)).content.decode().count(message) == 1


def test_no_warning_for_figures_too_small_to_compare(cluster, period, enterprise, representative):
    # 0 trained employees against an average of 0.17: nothing unusual about a firm that seldom trains anyone.
    history(cluster, enterprise, representative, "employees_trained", [0, 0, 1, 0, 0, 0], period.month)
    fill_form(cluster, representative, enterprise, period, employees_trained=0)
    submission = Submission.objects.get(enterprise=enterprise, period=period)
    assert services.submission_problems(submission=submission) == ({}, {})
    fill_form(cluster, representative, enterprise, period, employees_trained=2)
    assert services.submission_problems(submission=submission) == ({}, {})
    # A real jump is still noticed.
    fill_form(cluster, representative, enterprise, period, employees=100, employees_trained=40)
    assert list(services.submission_problems(submission=submission)[1]) == ["employees_trained"]


def test_an_unusual_figure_is_named_right_when_an_earlier_one_is_missing(cluster, period, enterprise, representative):
    elements = [e.code for e in services.active_data_elements(cluster=cluster)]
    last = elements[-1]
    history(cluster, enterprise, representative, last, [10, 10, 10], period.month)
    fill_form(cluster, representative, enterprise, period, **{elements[0]: None, last: 500})
    submission = Submission.objects.get(enterprise=enterprise, period=period)
    missing, unexplained = services.submission_problems(submission=submission)
    assert list(missing) == [elements[0]] and list(unexplained) == [last]
