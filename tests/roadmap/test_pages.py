"""The roadmap's pages and API: everyone in the cluster reads them, the office edits, nobody outside sees them; every
page says where the cluster stands; the demo is around month 14 with the first gate passed."""

import datetime

import pytest

from roadmap import services
from roadmap.models import GateDecision, GateEvaluation, RoadmapTask
from tests.governance.factories import BodyFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def roadmap(cluster):
    cluster.start_date = services.months_after(cluster.today(), -14)
    cluster.save()
    BodyFactory(cluster=cluster, kind="council", area="", name="Klaster kengashi")
    BodyFactory(cluster=cluster, kind="office", area="", name="Klaster ofisi")
    phases = services.roadmap_setup(cluster=cluster)
    services.gates_evaluate_due()
    return phases


def test_every_page_says_where_the_cluster_stands(client, cluster, roadmap):
    client.force_login(user_with_role(cluster, "viewer", username="kuzatuvchi"))
    for url in ("/", "/roadmap/", "/portfolio/"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "month 14 of 36 · phase 2" in page
    overview = client.get("/roadmap/").content.decode()
    assert "Month 14 of 36 · phase 2: Launch and stabilisation" in overview


def test_the_pages_speak_the_readers_language_for_the_default_texts(client, cluster, roadmap):
    client.force_login(user_with_role(cluster, "council", username="kengash"))
    client.cookies["django_language"] = "uz"
    page = client.get("/roadmap/phases/1/").content.decode()
    assert "Tayyorgarlik" in page and "Preparation" not in page


def test_the_office_edits_a_task_and_the_others_only_read(client, cluster, other_cluster, roadmap):
    task = RoadmapTask.objects.filter(cluster=cluster).first()
    form = {"phase": task.phase_id, "title": "Yangi nom", "description": "", "owner": task.owner_id,
            "due_on": "2026-01-31", "status": "planned", "done_on": ""}  # fmt: skip
    for role in ("council", "enterprise", "viewer"):
        client.force_login(user_with_role(cluster, role, username=f"u-{role}"))
        assert client.get("/roadmap/").status_code == 200
        assert client.post(f"/roadmap/tasks/{task.pk}/", form).status_code == 403
    client.force_login(user_with_role(other_cluster, "office", username="boshqa"))
    assert client.get(f"/roadmap/tasks/{task.pk}/").status_code == 404
    client.force_login(user_with_role(cluster, "office", username="ofis"))
    wrong = client.post(f"/roadmap/tasks/{task.pk}/", form | {"status": "done"})  # done without its date
    assert wrong.status_code == 302, wrong.context["form"].errors  # a done task takes today's date
    task.refresh_from_db()
    assert (task.title, task.status, task.done_on) == ("Yangi nom", "done", cluster.today())
    refused = client.post(f"/roadmap/tasks/{task.pk}/", form | {"owner": "", "title": "X"})
    assert refused.status_code == 200 and refused.context["form"].errors["owner"]


def test_the_api_serves_the_roadmap_scoped_as_everything_else(cluster, other_cluster, roadmap):
    from tests.governance.test_api import API, token_client

    mine = token_client(user_with_role(cluster, "enterprise", username="hisobchi"))
    phases = mine.get(f"{API}/phases/").json()["results"]
    assert [(p["number"], p["name"]) for p in phases] == [
        (1, "Preparation"), (2, "Launch and stabilisation"), (3, "Expansion and modernisation")
    ]  # fmt: skip
    evaluations = mine.get(f"{API}/gate-evaluations/").json()["results"]
    assert len(evaluations) == 3 and all(e["results"] for e in evaluations)
    other = token_client(user_with_role(other_cluster, "office", username="boshqa"))
    evaluation = GateEvaluation.objects.filter(cluster=cluster).first()
    assert other.get(f"{API}/gate-evaluations/{evaluation.pk}/").status_code == 404
    assert all(p["cluster"] != cluster.pk for p in other.get(f"{API}/phases/").json()["results"])


def test_the_demo_stands_around_month_14_with_the_first_gate_passed_by_a_conditional_go():
    from demo.governance import load_demo

    cluster = load_demo().cluster
    stand = services.stand_at(cluster)
    assert 12 <= stand.month <= 16 and stand.phase.number == 2
    gate = GateDecision.objects.get(cluster=cluster)
    assert (gate.phase.number, gate.outcome, gate.waivers.count()) == (1, "conditional_go", 1)
    condition = gate.conditions.get()
    assert condition.closed_by_data and condition.closed_on > gate.as_of  # met since the decision
    history = GateEvaluation.objects.filter(cluster=cluster, phase__number=2).order_by("month")
    assert history.count() >= 12 and len({e.readiness for e in history}) > 1  # readiness moved
    assert RoadmapTask.objects.filter(cluster=cluster, phase__number=2, due_on__lt=cluster.today(),
                                      status__in=["planned", "in_progress"]).exists()  # fmt: skip
    assert load_demo().extensions["roadmap"] == {"phases": 0, "gate_evaluations": 0, "gate_decisions": 0}


def test_the_daily_job_reads_the_gates_in_a_bounded_number_of_queries(cluster, roadmap, django_assert_max_num_queries):
    GateEvaluation.objects.all().delete()
    with django_assert_max_num_queries(120):
        assert services.gates_evaluate_due() == 3
    assert datetime.date.today().replace(day=1) > GateEvaluation.objects.first().month
