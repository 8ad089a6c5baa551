import pytest

from tests.governance.test_api import token_client
from tests.kpi.test_api import URL, row
from tests.kpi.test_views import filled, login, post_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_api(office_user):
    return token_client(office_user)


def test_errors_speak_the_callers_language(office_api, cluster, period, enterprise):
    body = office_api.post(
        URL,
        {"cluster": cluster.pk, "rows": [row(enterprise, period, "employees", -1)]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="ru",
    ).json()
    assert body["conflicts"][0]["message"] != "The value cannot be negative."


def test_the_form_speaks_uzbek(client, cluster, period, enterprise, representative):
    login(client, representative)
    client.cookies.load({"django_language": "uz"})
    html = post_form(client, enterprise, period, {**filled(cluster, employees="-2"), "action": "save"}).content.decode()
    assert "The value cannot be negative." not in html
    assert 'id="id_v_employees_errors"' in html
