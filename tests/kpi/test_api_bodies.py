"""Hostile input to the API gets a clear JSON answer and writes nothing: every malformed body of the bulk API is a
400 naming the row and field, never a 500 or an HTML page; the values' rules are stated and held."""

from decimal import Decimal

import pytest
from django.test import override_settings

from kpi.models import DataElement, DataValue
from kpi.validation import parse_value
from tests.governance.test_api import token_client
from tests.kpi.test_api import URL

pytestmark = pytest.mark.django_db


def row(enterprise, period, **changes):
    return {
        "enterprise": enterprise.taxpayer_id,
        "period": period.key,
        "data_element": "employees",
        "value": 5,
    } | changes


def post_raw(client, body: str):
    return client.generic("POST", URL, body, content_type="application/json")


@pytest.fixture
def api(office_user):
    return token_client(office_user)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"value": [5]}, "value"),
        ({"value": {"amount": 5}}, "value"),
        ({"period": ["2026-10"]}, "period"),
        ({"data_element": {"code": "employees"}}, "data_element"),
        ({"enterprise": ["311402567"]}, "enterprise"),
        ({"enterprise": True}, "enterprise"),
        ({"comment": ["x"]}, "comment"),
        ({"comment": "x" * 1001}, "comment"),
    ],
)
def test_a_list_or_an_object_where_a_value_belongs_is_400_naming_row_and_field(
    api, cluster, period, enterprise, change, field
):
    rows = [row(enterprise, period), row(enterprise, period, data_element="total_output") | change]
    response = api.post(URL, {"cluster": cluster.pk, "rows": rows}, format="json")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert response.json()["rows"] == [{"row": 1, "field": field, "message": response.json()["rows"][0]["message"]}]
    assert not DataValue.objects.exists()  # the well-formed row is not written either


def test_a_row_that_is_no_object_is_400(api, cluster):
    response = api.post(URL, {"cluster": cluster.pk, "rows": ["not a row", 5]}, format="json")
    assert response.status_code == 400
    assert [(p["row"], p["field"]) for p in response.json()["rows"]] == [
        (0, "non_field_errors"),
        (1, "non_field_errors"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        '{"cluster": 1, "rows": ' + "[" * 50_000 + "]" * 50_000 + "}",  # deeper than Python's json can go
        '{"cluster": 1, "rows": [' + "[" * 100 + "]" * 100 + "]}",  # deep enough to trouble later code
        '{"cluster": 1, "rows": [{"enterprise": "1", "value": NaN}]}',  # not JSON: NaN and Infinity are no numbers
        '{"cluster": 1, "rows": [{"value": ' + "9" * 5000 + "}]}",  # longer than Python reads as an integer
        '{"cluster": [1], "rows": []}',
        "[1, 2, 3]",
        '"rows"',
        "{not json",
        b"\xff\xfe{}",  # not UTF-8
        "",
    ],
)
def test_a_malformed_body_is_a_json_400(api, cluster, body):
    if isinstance(body, str):
        body = body.replace('"cluster": 1', f'"cluster": {cluster.pk}')
    response = post_raw(api, body)
    assert response.status_code == 400, response.content[:200]
    assert response["Content-Type"] == "application/json"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100_000)
def test_a_body_over_the_limit_is_a_json_400(api, cluster, period, enterprise):
    rows = [row(enterprise, period, comment="x" * 900) for _ in range(200)]
    response = api.post(URL, {"cluster": cluster.pk, "rows": rows}, format="json")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "larger than the platform accepts" in response.json()["detail"]


# --- The values' rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, code, expected, error",
    [
        ("1 234,5", "total_output", Decimal("1234.5"), None),  # spaces between thousands, decimal comma
        ("1\u00a0234.5", "total_output", Decimal("1234.5"), None),
        ("1.5E+06", "total_output", Decimal("1500000"), None),  # as spreadsheets export
        ("١٢٣", "total_output", None, "Enter the number with the digits 0–9."),  # Arabic-Indic digits
        ("１２３", "total_output", None, "Enter the number with the digits 0–9."),  # full-width digits
        ("1_000", "total_output", None, "Enter a number."),
        ("999999999999999.9999", "total_output", Decimal("999999999999999.9999"), None),
        ("999999999999999.99995", "total_output", None, "The value is too large."),  # rounds onto 10^15
        ("-0.00001", "total_output", None, "The value cannot be negative."),
        ("12.00004", "employees", Decimal("12"), None),  # a count, with a spreadsheet's noise
        ("12.5", "employees", None, "Enter a whole number."),
        (float("nan"), "total_output", None, "Enter a number."),
        (True, "total_output", None, "Enter a number."),
        ([1], "total_output", None, "Enter a number."),
        ("", "total_output", None, None),  # empty is no value, not zero
    ],
)
def test_the_stated_rules_of_a_value(raw, code, expected, error):
    value, message = parse_value(raw, DataElement.objects.get(code=code))
    assert (value, message) == (expected, error)


def test_every_api_endpoint_answers_hostile_bodies_in_json_without_a_500(api, cluster):
    """Every POST, PUT and PATCH of the API, as the office, with bodies of every wrong kind."""
    from django.urls import reverse

    from tests.site_walk import site_patterns

    bodies = ["[]", '"x"', "{not json", '{"a": ' + "[" * 100 + "]" * 100 + "}", "null", "{}"]
    checked = 0
    for pattern in site_patterns():
        if not pattern.is_api or "format" in pattern.arguments or not pattern.viewset:
            continue
        actions = getattr(pattern.callback, "actions", {}) or {}
        methods = [m for m in ("post", "put", "patch") if m in actions]
        if not methods:
            continue
        lookup = getattr(pattern.viewset, "lookup_field", "pk")
        url = reverse(
            pattern.name, kwargs={lookup: "employees" if lookup == "code" else 1} if pattern.arguments else {}
        )
        for method in methods:
            for body in bodies:
                response = api.generic(method.upper(), url, body, content_type="application/json")
                assert response.status_code < 500, (method, url, body[:30], response.content[:200])
                assert response["Content-Type"].startswith("application/json"), (method, url)
                checked += 1
    assert checked > 50


def test_an_unknown_address_of_the_api_answers_in_json(api):
    response = api.get("/api/v1/no-such-resource/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
