"""The roadmap: phase dates from the cluster's start (a start on the 31st, leap years), where the cluster stands,
gate criteria read from live data (met, not met, insufficient data), readiness, the council's decision with its
evidence frozen, a condition that closes by itself, and the decision's requirements."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from governance.models import Regulation
from roadmap import services
from roadmap.models import GateCriterion, GateDecision, GateEvaluation, Phase, RoadmapTask, months_after
from tests.governance.factories import BodyFactory, DecisionFactory, EnterpriseFactory, MeetingFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 7, 9, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime.date(2025, 1, 31), 1, datetime.date(2025, 2, 28)),  # a shorter month: its last day
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),  # a leap year's February
        (datetime.date(2024, 2, 29), 12, datetime.date(2025, 2, 28)),  # 29 February a year later
        (datetime.date(2024, 2, 29), 48, datetime.date(2028, 2, 29)),
        (datetime.date(2025, 8, 31), 6, datetime.date(2026, 2, 28)),  # phase 1 of a start on the 31st
        (datetime.date(2025, 10, 1), 18, datetime.date(2027, 4, 1)),
    ],
)
def test_months_after_keeps_the_day_or_takes_the_months_last(start, months, expected):
    assert months_after(start, months) == expected


@pytest.mark.parametrize(
    ("start", "day", "month"),
    [
        (datetime.date(2025, 8, 31), datetime.date(2025, 8, 30), -1),  # before the start
        (datetime.date(2025, 8, 31), datetime.date(2025, 8, 31), 0),
        (datetime.date(2025, 8, 31), datetime.date(2025, 9, 29), 0),  # September has no 31st: month 1 on the 30th
        (datetime.date(2025, 8, 31), datetime.date(2025, 9, 30), 1),
        (datetime.date(2025, 8, 31), datetime.date(2026, 2, 27), 5),
        (datetime.date(2025, 8, 31), datetime.date(2026, 2, 28), 6),  # phase 2 begins on February's last day
        (datetime.date(2024, 2, 29), datetime.date(2025, 2, 28), 12),
        (datetime.date(2025, 10, 1), datetime.date(2026, 12, 7), 14),
    ],
)
def test_whole_months_since_the_start_at_the_phase_boundaries(start, day, month):
    assert services.months_since(start, day) == month


@pytest.fixture
def roadmap(cluster):
    cluster.start_date = datetime.date(2025, 8, 31)
    cluster.save()
    BodyFactory(cluster=cluster, kind="council", area="", name="Klaster kengashi")
    BodyFactory(cluster=cluster, kind="office", area="", name="Klaster ofisi")
    return services.roadmap_setup(cluster=cluster)


def test_the_default_roadmap_has_three_phases_dated_from_the_start_with_tasks_and_criteria(cluster, roadmap):
    assert [(p.number, p.start_month, p.end_month) for p in roadmap] == [(1, 0, 6), (2, 6, 18), (3, 18, 36)]
    first, second, _third = roadmap
    assert (first.starts_on, first.gate_on) == (datetime.date(2025, 8, 31), datetime.date(2026, 2, 27))
    assert second.starts_on == datetime.date(2026, 2, 28)
    assert RoadmapTask.objects.filter(phase=first).count() == 4
    assert not RoadmapTask.objects.filter(owner__isnull=True, phase=first).exists()  # council and office exist
    assert GateCriterion.objects.filter(phase=first, must_meet=True).count() == 5
    assert services.roadmap_setup(cluster=cluster) == roadmap  # once
    stand = services.stand_at(cluster, datetime.date(2026, 2, 28))
    assert (stand.month, stand.phase) == (6, second)


def approved_regulation(cluster, effective_from):
    council = cluster.bodies.get(kind="council")
    return Regulation.objects.create(
        cluster=cluster, kind="data_collection", title="Ma'lumot yig'ish reglamenti", status="approved",
        effective_from=effective_from, approved_by=DecisionFactory(meeting=MeetingFactory(body=council)),
    )  # fmt: skip


def evaluation(phase, month="2026-02-01"):
    return services.gate_evaluate(phase=phase, month=datetime.date.fromisoformat(month), now=NOW)


def results(evaluation):
    return {(r.criterion.measure, r.comparison): (r.measured, r.result) for r in evaluation.results.all()}


def test_each_criterion_met_and_unmet_read_as_of_the_months_end(cluster, roadmap):
    first = roadmap[0]
    for name in ("Logistika", "Sifat"):
        BodyFactory(cluster=cluster, kind="working_group", area=name.lower(), name=name,
                    established_on=datetime.date(2025, 9, 1))  # fmt: skip
    BodyFactory(cluster=cluster, kind="working_group", area="skills", name="Kadrlar",
                established_on=datetime.date(2026, 3, 5))  # after February: not yet in February  # fmt: skip
    for _ in range(12):
        EnterpriseFactory(cluster=cluster, joined_on=datetime.date(2025, 9, 1))
    found = results(evaluation(first))
    assert found[("council", "gte")] == (Decimal(1), "met")
    assert found[("working_groups", "gte")] == (Decimal(2), "not_met")  # two of the three asked, as of February
    assert found[("regulation", "gte")] == (Decimal(0), "not_met")
    assert found[("participants", "gte")] == (Decimal(12), "met")
    assert found[("projects_selected", "lte")] == (Decimal(0), "met")  # at most 5: none is not too many
    march = results(evaluation(first, "2026-03-01"))
    assert march[("working_groups", "gte")] == (Decimal(3), "met")
    approved_regulation(cluster, datetime.date(2026, 3, 10))
    assert results(evaluation(first, "2026-03-01"))[("regulation", "gte")] == (Decimal(1), "met")


def test_a_kpi_criterion_without_final_data_is_insufficient_never_met(cluster, roadmap):
    third = roadmap[2]
    found = {
        r.criterion.kpi.code: (r.measured, r.result)
        for r in evaluation(third).results.filter(criterion__kpi__isnull=False)
    }
    assert found == {code: (None, "insufficient") for code in ("FPS", "VA", "EXPGR", "LOCAL")}
    second = roadmap[1]
    trends = evaluation(second).results.filter(criterion__measure="kpi_trend")
    assert {r.result for r in trends} == {"insufficient"}


def test_readiness_counts_every_must_meet_and_the_weighted_share_of_should_meet(cluster, roadmap):
    first = roadmap[0]
    criteria = list(first.criteria.all())
    must = [c for c in criteria if c.must_meet]
    should = [c for c in criteria if not c.must_meet]  # weights 1, 2, 1
    met = {c.pk: "met" for c in criteria}
    state = services.readiness_of(((c, met[c.pk]) for c in criteria), first.readiness_threshold)
    assert (state.readiness, state.must_met, state.ready) == (Decimal(1), True, True)
    heavy = next(c for c in should if c.weight == 2)
    state = services.readiness_of(((c, "not_met" if c == heavy else "met") for c in criteria), Decimal("0.8"))
    assert (state.readiness, state.ready) == (Decimal("0.5"), False)
    light = next(c for c in should if c.weight == 1)
    state = services.readiness_of(((c, "insufficient" if c == light else "met") for c in criteria), Decimal("0.75"))
    assert (state.readiness, state.ready) == (Decimal("0.75"), True)  # at the threshold: ready
    state = services.readiness_of(((c, "not_met" if c == must[0] else "met") for c in criteria), Decimal("0.8"))
    assert (state.readiness, state.must_met, state.ready) == (Decimal(1), False, False)


@pytest.fixture
def council_decision(cluster):
    council = cluster.bodies.get(kind="council")
    return DecisionFactory(meeting=MeetingFactory(body=council, date=datetime.date(2026, 3, 20)))


def test_passing_a_gate_needs_a_council_decision_and_a_reason_for_each_unmet_criterion(
    cluster, roadmap, council_decision
):
    first = roadmap[0]
    office = cluster.bodies.get(kind="office")
    with pytest.raises(ValidationError) as refused:
        services.gate_decide(phase=first, decision=DecisionFactory(), outcome="go", now=NOW)
    assert "decision" in refused.value.error_dict
    with pytest.raises(ValidationError) as refused:
        services.gate_decide(phase=first, decision=council_decision, outcome="go", now=NOW)
    assert "waivers" in refused.value.error_dict  # working groups, regulation, projects not met: no reasons given
    with pytest.raises(ValidationError) as refused:
        services.gate_decide(phase=first, decision=council_decision, outcome="conditional_go", now=NOW)
    assert {"review_on", "conditions"} <= set(refused.value.error_dict)
    unmet = [c for c in first.criteria.all() if c.must_meet and c.measure != "council" and c.measure != "office"]
    gate = services.gate_decide(
        phase=first,
        decision=council_decision,
        outcome="conditional_go",
        waivers={c.pk: "Kengash keyingi bosqichda bajarishni talab qiladi" for c in first.criteria.all()},
        conditions=[{"text": "Ma'lumot yig'ish reglamentini tasdiqlash", "owner": office,
                     "due_on": datetime.date(2026, 5, 31), "criterion": first.criteria.get(measure="regulation")}],
        review_on=datetime.date(2026, 6, 1),
        now=NOW,
    )  # fmt: skip
    assert {w.criterion for w in gate.waivers.all()} >= set(unmet)
    assert gate.as_of == datetime.date(2026, 3, 20) and services.gate_passed(first) == gate
    assert all(row["result"] in ("met", "not_met", "insufficient") for row in gate.snapshot["criteria"])
    # A hold needs no waiver, but a review date.
    hold = services.gate_decide(
        phase=roadmap[1], decision=council_decision, outcome="hold", review_on=datetime.date(2026, 6, 1), now=NOW
    )
    assert hold.waivers.count() == 0 and services.gate_passed(roadmap[1]) is None


def test_a_condition_closes_by_itself_when_the_data_meets_its_criterion(cluster, roadmap, council_decision):
    first = roadmap[0]
    gate = services.gate_decide(
        phase=first,
        decision=council_decision,
        outcome="conditional_go",
        waivers={c.pk: "Sabab" for c in first.criteria.all()},
        conditions=[{"text": "Reglament", "owner": cluster.bodies.get(kind="office"),
                     "due_on": datetime.date(2026, 5, 31), "criterion": first.criteria.get(measure="regulation")}],
        review_on=datetime.date(2026, 6, 1),
        now=NOW,
    )  # fmt: skip
    condition = gate.conditions.get()
    evaluation(first, "2026-03-01")
    condition.refresh_from_db()
    assert condition.closed_on is None  # no regulation yet
    approved_regulation(cluster, datetime.date(2026, 4, 2))
    evaluation(first, "2026-04-01")
    condition.refresh_from_db()
    assert condition.closed_by_data and condition.closed_on == datetime.date(2026, 12, 7)


def test_the_snapshot_survives_a_later_correction_and_the_decision_is_flagged(cluster, roadmap, council_decision):
    first = roadmap[0]
    for name in ("Logistika", "Sifat", "Kadrlar"):
        BodyFactory(cluster=cluster, kind="working_group", area=name.lower()[:9], name=name,
                    established_on=datetime.date(2025, 9, 1))  # fmt: skip
    gate = services.gate_decide(
        phase=first, decision=council_decision, outcome="go",
        waivers={c.pk: "Sabab" for c in first.criteria.all()}, now=NOW,
    )  # fmt: skip
    frozen = {row["measure"]: row for row in gate.snapshot["criteria"]}
    assert (frozen["working_groups"]["measured"], frozen["working_groups"]["result"]) == ("3", "met")
    assert services.decisions_recheck(cluster=cluster, now=NOW) == 0  # nothing changed
    # A working group's founding date was mistyped: it was founded after the meeting. Corrected:
    cluster.bodies.filter(name="Kadrlar").update(established_on=datetime.date(2026, 4, 1))
    assert services.decisions_recheck(cluster=cluster, now=NOW) == 1
    gate.refresh_from_db()
    assert gate.evidence_changed_at is not None
    assert {row["measure"]: row for row in gate.snapshot["criteria"]}["working_groups"] == frozen["working_groups"]


def test_an_overdue_task_joins_its_owners_next_meeting_agenda_once(cluster, roadmap):
    from governance import services as governance

    council = cluster.bodies.get(kind="council")
    task = RoadmapTask.objects.filter(owner=council).order_by("due_on").first()
    meeting = MeetingFactory(body=council, date=task.due_on + datetime.timedelta(days=10), status="planned")
    governance.agenda_add_follow_ups(meeting=meeting)
    governance.agenda_add_follow_ups(meeting=meeting)
    follow_ups = list(meeting.agenda_items.exclude(follow_up=""))
    assert [a.follow_up for a in follow_ups] == [f"roadmap-task:{task.pk}"]
    task.status, task.done_on = "done", task.due_on
    task.save()
    later = MeetingFactory(body=council, date=task.due_on + datetime.timedelta(days=40), status="planned")
    governance.agenda_add_follow_ups(meeting=later)
    assert f"roadmap-task:{task.pk}" not in set(later.agenda_items.values_list("follow_up", flat=True))


def test_the_gate_is_read_once_a_month_by_the_daily_job(cluster, roadmap):
    assert services.gates_evaluate_due(now=NOW) == 3
    assert services.gates_evaluate_due(now=NOW) == 0
    assert set(GateEvaluation.objects.values_list("month", flat=True)) == {datetime.date(2026, 11, 1)}


def test_the_office_edits_tasks_and_the_roadmap_keeps_versions(cluster, roadmap):
    from roadmap.models import RoadmapRevision
    from tests.governance.factories import user_with_role

    office = user_with_role(cluster, "office", username="ofis")
    task = RoadmapTask.objects.filter(phase__number=1).first()
    task.due_on = datetime.date(2026, 1, 15)
    services.task_save(task=task, user=office)
    assert list(RoadmapRevision.objects.order_by("number").values_list("number", flat=True)) == [1, 2]
    latest = RoadmapRevision.objects.get(number=2)
    assert latest.created_by == office
    saved = {t["id"]: t for p in latest.snapshot["phases"] for t in p["tasks"]}
    assert saved[task.pk]["due_on"] == "2026-01-15"
    council = user_with_role(cluster, "council", username="kengash")
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied: only the office
        services.task_save(task=task, user=council)
    assert Phase.objects.filter(cluster=cluster).count() == 3 and GateDecision.objects.count() == 0


# --- Every measure, met and not met --------------------------------------------------------------------------------

AS_OF = datetime.date(2026, 11, 30)


def quarter(cluster, key, start, values: dict, final=True):
    """A computed quarter of the cluster: its KPI values (code: value), final at the start of 2026-12 or not."""
    from kpi.models import Kpi, KpiComputation, KpiValue

    KpiComputation.objects.create(
        cluster=cluster, period=key, period_kind="quarter", period_start=start, computed_at=NOW, trigger="manual",
        final_at=datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC) if final else None,
        expected={"": 10}, counted={"": 9},
    )  # fmt: skip
    for code, value in values.items():
        KpiValue.objects.create(cluster=cluster, kpi=Kpi.objects.get(code=code), period=key, period_kind="quarter",
                                period_start=start, scope="cluster", value=Decimal(value))  # fmt: skip


def read(cluster, measure, threshold, *, kpi=None, comparison="gte"):
    from kpi.models import Kpi

    phase = Phase.objects.get(cluster=cluster, number=2)
    criterion = GateCriterion.objects.create(
        cluster=cluster, phase=phase, measure=measure, threshold=threshold, comparison=comparison,
        kpi=Kpi.objects.get(code=kpi) if kpi else None, position=99,
    )  # fmt: skip
    found = services.Reader(cluster, AS_OF, NOW).read(criterion)
    criterion.delete()
    return found.measured, services.result_of(found)


def test_the_portfolio_measures_met_and_not_met(cluster, roadmap):
    from tests.portfolio.factories import ProjectFactory

    council = cluster.bodies.get(kind="council")
    selecting = DecisionFactory(meeting=MeetingFactory(body=council, date=datetime.date(2026, 5, 6)))
    groups = {area: BodyFactory(cluster=cluster, kind="working_group", area=area, name=area)
              for area in ("logistics", "quality", "skills")}  # fmt: skip
    for area, category in (("logistics", "supply_chain"), ("quality", "standardisation")):
        ProjectFactory(cluster=cluster, lead_group=groups[area], category=category, phase=1, status="active",
                       selection_decision=selecting, started_on=datetime.date(2026, 6, 1))  # fmt: skip
    assert read(cluster, "projects_selected", 3) == (Decimal(2), "not_met")
    assert read(cluster, "projects_selected", 2) == (Decimal(2), "met")
    assert read(cluster, "quick_win_areas", 3) == (Decimal(2), "not_met")  # no quick win in skills yet
    assert read(cluster, "project_areas_active", 3) == (Decimal(2), "not_met")
    ProjectFactory(cluster=cluster, lead_group=groups["skills"], category="skills", phase=1, status="active",
                   selection_decision=selecting, started_on=datetime.date(2026, 7, 1))  # fmt: skip
    assert read(cluster, "quick_win_areas", 3) == (Decimal(3), "met")
    assert read(cluster, "project_areas_active", 3) == (Decimal(3), "met")
    # Selected after the day read: not counted then.
    late = DecisionFactory(meeting=MeetingFactory(body=council, date=datetime.date(2026, 12, 2)))
    ProjectFactory(cluster=cluster, lead_group=groups["skills"], phase=1, status="selected", selection_decision=late)
    assert read(cluster, "projects_selected", 4) == (Decimal(3), "not_met")


def test_contracts_growth_met_and_not_met(cluster, roadmap):
    from portfolio.models import CooperationContract

    firms = [EnterpriseFactory(cluster=cluster) for _ in range(3)]

    def contract(start):
        CooperationContract.objects.create(cluster=cluster, supplier=firms[0], buyer=firms[1], subject="Paxta tolasi",
                                           annual_value=100, start_date=start)  # fmt: skip

    contract(datetime.date(2026, 1, 1))  # in force six months before and now: no growth
    assert read(cluster, "contracts_growth", 1) == (Decimal(0), "not_met")
    contract(datetime.date(2026, 9, 1))
    assert read(cluster, "contracts_growth", 1) == (Decimal(1), "met")


def test_the_kpi_measures_read_final_quarters_only_met_and_not_met(cluster, roadmap):
    from kpi.models import ClusterKpi, Kpi, KpiComputation

    quarter(cluster, "2026-Q2", datetime.date(2026, 4, 1), {"DEFECT": "0.040", "FPS": "0.30"})
    quarter(cluster, "2026-Q3", datetime.date(2026, 7, 1), {"DEFECT": "0.030", "FPS": "0.40"})
    # DEFECT fell from 4 % to 3 %: improving by one point (lower is better).
    assert read(cluster, "kpi_trend", Decimal(0), kpi="DEFECT") == (Decimal("0.010"), "met")
    assert read(cluster, "kpi_trend", Decimal("0.02"), kpi="DEFECT") == (Decimal("0.010"), "not_met")
    ClusterKpi.objects.update_or_create(cluster=cluster, kpi=Kpi.objects.get(code="FPS"),
                                        defaults={"target": Decimal("0.45")})  # fmt: skip
    assert read(cluster, "kpi_target", None, kpi="FPS") == (Decimal("0.40"), "not_met")
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="FPS").update(target=Decimal("0.35"))
    assert read(cluster, "kpi_target", None, kpi="FPS") == (Decimal("0.40"), "met")
    # A provisional quarter is never read: the trend stays on Q2 against Q3.
    quarter(cluster, "2026-Q4", datetime.date(2026, 10, 1), {"DEFECT": "0.090"}, final=False)
    assert read(cluster, "kpi_trend", Decimal(0), kpi="DEFECT")[1] == "met"
    for month in range(4, 12):
        KpiComputation.objects.create(cluster=cluster, period=f"2026-{month:02d}", period_kind="month",
                                      period_start=datetime.date(2026, month, 1), computed_at=NOW, trigger="manual",
                                      final_at=NOW if month < 11 else None)  # fmt: skip
    assert read(cluster, "kpi_final_months", 7) == (Decimal(7), "met")  # April to October; November provisional
    assert read(cluster, "kpi_final_months", 8) == (Decimal(7), "not_met")


def test_incentives_tied_to_kpis_met_and_not_met(cluster, roadmap):
    from incentives.models import Condition, IncentivePackage, RuleVersion
    from kpi.models import Kpi

    assert read(cluster, "incentives_kpi", 1) == (Decimal(0), "not_met")
    package = IncentivePackage.objects.create(cluster=cluster, tier=1, name="Hamkor")
    rule = RuleVersion.objects.create(package=package, number=1, effective_from=datetime.date(2026, 1, 1),
                                      status="approved", approved_by=DecisionFactory())  # fmt: skip
    Condition.objects.create(rule=rule, measure="discipline", window="last_quarter", comparison="gte", threshold=1)
    assert read(cluster, "incentives_kpi", 1) == (Decimal(0), "not_met")  # a rule, but none of its conditions a KPI
    Condition.objects.create(rule=rule, measure="kpi", kpi=Kpi.objects.get(code="DEFECT"), window="last_quarter",
                             comparison="lte", threshold=Decimal("0.03"))  # fmt: skip
    assert read(cluster, "incentives_kpi", 1) == (Decimal(1), "met")


def test_the_office_records_a_condition_met_that_no_criterion_reads(client, cluster, roadmap, council_decision):
    from tests.governance.factories import user_with_role

    first = roadmap[0]
    gate = services.gate_decide(
        phase=first, decision=council_decision, outcome="conditional_go",
        waivers={c.pk: "Sabab" for c in first.criteria.all()},
        conditions=[{"text": "Ofis shtatini to'ldirish", "owner": cluster.bodies.get(kind="office"),
                     "due_on": datetime.date(2026, 5, 31), "criterion": None}],
        review_on=datetime.date(2026, 6, 1), now=NOW,
    )  # fmt: skip
    condition = gate.conditions.get()
    client.force_login(user_with_role(cluster, "council", username="kengash"))
    assert client.post(f"/roadmap/conditions/{condition.pk}/close/").status_code == 403
    client.force_login(user_with_role(cluster, "office", username="ofis"))
    assert client.post(f"/roadmap/conditions/{condition.pk}/close/").status_code == 302
    condition.refresh_from_db()
    assert condition.closed_on == cluster.today() and not condition.closed_by_data


def test_the_same_council_decision_recorded_twice_is_refused_not_a_server_error(client, cluster, roadmap,
                                                                               council_decision):  # fmt: skip
    from tests.governance.factories import user_with_role

    client.force_login(user_with_role(cluster, "office", username="ofis"))
    form = {"decision": council_decision.pk, "outcome": "hold", "review_on": "2026-06-01", "note": "",
            "conditions-TOTAL_FORMS": 0, "conditions-INITIAL_FORMS": 0}  # fmt: skip
    assert client.post("/roadmap/phases/1/decide/", form).status_code == 302
    again = client.post("/roadmap/phases/1/decide/", form)  # the form sent twice
    assert again.status_code == 200 and again.context["form"].errors["decision"]
    assert GateDecision.objects.count() == 1
