import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance import services
from governance.choices import (
    ActionItemStatus,
    BodyKind,
    DecisionKind,
    DecisionOutcome,
    MeetingStatus,
    QuorumRule,
    RegulationKind,
    RegulationStatus,
    Role,
)
from governance.models import ActionItem, AgendaItem, ClusterRole, Decision, Enterprise, Meeting, Membership, Regulation
from governance.models.meetings import quorum_required
from tests.governance.factories import (
    BodyFactory,
    EnterpriseFactory,
    MeetingFactory,
    UserFactory,
    body_with_members,
    meeting_with_attendance,
)

pytestmark = pytest.mark.django_db


# --- Enterprises ---------------------------------------------------------------------------------


@pytest.mark.parametrize("taxpayer_id", ["12345678", "1234567890", "12345678a", ""])
def test_taxpayer_id_must_be_nine_digits(cluster, taxpayer_id):
    enterprise = EnterpriseFactory.build(cluster=cluster, taxpayer_id=taxpayer_id)
    with pytest.raises(ValidationError) as error:
        enterprise.full_clean()
    assert "taxpayer_id" in error.value.message_dict


def test_database_refuses_a_taxpayer_id_that_is_not_nine_digits(cluster):
    with pytest.raises(IntegrityError), transaction.atomic():
        Enterprise.objects.create(
            cluster=cluster,
            name="X",
            taxpayer_id="12345",
            kind="supplier",
            value_chain_link="supply",
            joined_on=datetime.date(2025, 1, 1),
        )


def test_duplicate_taxpayer_id_is_refused_in_the_same_cluster_only(cluster, other_cluster):
    EnterpriseFactory(cluster=cluster, taxpayer_id="301234567")
    duplicate = EnterpriseFactory.build(cluster=cluster, taxpayer_id="301234567")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "already a participant" in str(error.value)
    EnterpriseFactory.build(cluster=other_cluster, taxpayer_id="301234567").full_clean()


# --- Quorum and decisions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "eligible", "required"),
    [
        (QuorumRule.MAJORITY, 7, 4),
        (QuorumRule.MAJORITY, 8, 5),
        (QuorumRule.TWO_THIRDS, 9, 6),
        (QuorumRule.TWO_THIRDS, 7, 5),
        (QuorumRule.THREE_QUARTERS, 8, 6),
    ],
)
def test_quorum_required(rule, eligible, required):
    assert quorum_required(rule, eligible) == required


def test_quorum_counts_only_members_of_the_body_on_the_meeting_date(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=5)
    Membership.objects.filter(person=people[4]).update(end_date=datetime.date(2025, 2, 1))  # left before
    meeting = meeting_with_attendance(council, people, present=3, date=datetime.date(2025, 3, 10))
    guest = UserFactory()
    meeting.attendances.create(person=guest, present=True)
    quorum = meeting.quorum()
    assert (quorum.eligible, quorum.present, quorum.required, quorum.met) == (4, 3, 3, True)


def test_decision_at_a_meeting_without_quorum_is_refused_and_writes_nothing(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=7)
    meeting = meeting_with_attendance(council, people, present=3)
    decision = Decision(meeting=meeting, title="Approve strategy", kind=DecisionKind.STRATEGIC, votes_for=3)
    item = ActionItem(title="Draft plan", owner_person=people[0], deadline=meeting.date)
    with pytest.raises(ValidationError) as error:
        services.decision_save(decision=decision, action_items=[item])
    assert "no quorum" in error.value.message_dict["meeting"][0]
    assert "3 of 7" in error.value.message_dict["meeting"][0]
    assert Decision.objects.count() == 0
    assert ActionItem.objects.count() == 0


def test_decision_outcome_is_a_majority_of_members_present(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=7)
    meeting = meeting_with_attendance(council, people, present=6)
    adopted = services.decision_save(decision=Decision(meeting=meeting, title="A", votes_for=4, votes_against=2))
    rejected = services.decision_save(
        decision=Decision(meeting=meeting, title="B", votes_for=3, votes_against=2, votes_abstain=1)
    )
    assert adopted.outcome == DecisionOutcome.ADOPTED
    assert rejected.outcome == DecisionOutcome.REJECTED


def test_more_votes_than_members_present_are_refused(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=5)
    meeting = meeting_with_attendance(council, people, present=3)
    with pytest.raises(ValidationError) as error:
        services.decision_save(decision=Decision(meeting=meeting, title="A", votes_for=3, votes_against=1))
    assert "votes_for" in error.value.message_dict


def test_strategic_decisions_belong_to_the_council(cluster):
    office, people = body_with_members(cluster, BodyKind.OFFICE, members=3)
    meeting = meeting_with_attendance(office, people, present=3)
    with pytest.raises(ValidationError) as error:
        services.decision_save(decision=Decision(meeting=meeting, title="A", kind=DecisionKind.STRATEGIC, votes_for=3))
    assert "kind" in error.value.message_dict


def test_decision_spawns_action_items_with_the_deciding_body_following_up(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=5)
    group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="logistics")
    meeting = meeting_with_attendance(council, people, present=5)
    decision = services.decision_save(
        decision=Decision(meeting=meeting, title="Cut lead time", votes_for=5),
        action_items=[
            ActionItem(title="Map routes", owner_group=group, deadline=meeting.date + datetime.timedelta(days=30)),
            ActionItem(title="Report", owner_person=people[1], deadline=meeting.date + datetime.timedelta(days=60)),
        ],
    )
    items = {i.title: i for i in decision.action_items.all()}
    assert items["Map routes"].body == group
    assert items["Report"].body == council
    assert {i.cluster_id for i in items.values()} == {cluster.pk}


def test_action_item_deadline_before_the_meeting_is_refused(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    meeting = meeting_with_attendance(council, people, present=3)
    decision = services.decision_save(decision=Decision(meeting=meeting, title="A", votes_for=3))
    item = ActionItem(
        decision=decision, title="Late", owner_person=people[0], deadline=meeting.date - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as error:
        services.action_item_save(item=item)
    assert "before the meeting" in error.value.message_dict["deadline"][0]
    assert not ActionItem.objects.exists()


def test_action_item_needs_exactly_one_owner(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    group = BodyFactory(cluster=cluster)
    for owners in ({}, {"owner_person": people[0], "owner_group": group}):
        with pytest.raises(ValidationError):
            services.action_item_save(
                item=ActionItem(cluster=cluster, body=council, title="x", deadline=datetime.date(2025, 5, 1), **owners)
            )
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.create(cluster=cluster, body=council, title="x", deadline=datetime.date(2025, 5, 1))


def test_overdue_is_computed_from_deadline_and_status(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    today = timezone.localdate()
    late = ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=people[0], title="late", deadline=today - datetime.timedelta(days=1)
    )
    due_today = ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=people[0], title="today", deadline=today
    )
    done = ActionItem.objects.create(
        cluster=cluster,
        body=council,
        owner_person=people[0],
        title="done",
        deadline=today - datetime.timedelta(days=5),
        status=ActionItemStatus.DONE,
        done_on=today,
    )
    assert (late.is_overdue, due_today.is_overdue, done.is_overdue) == (True, False, False)
    assert set(ActionItem.objects.overdue(today)) == {late}
    flags = dict(ActionItem.objects.with_overdue(today).values_list("title", "overdue"))
    assert flags == {"late": True, "today": False, "done": False}


# --- Agenda follow-ups ---------------------------------------------------------------------------


def test_open_and_overdue_items_go_on_the_agenda_of_the_bodys_next_meeting(cluster):
    group, people = body_with_members(cluster, BodyKind.WORKING_GROUP, members=2, area="quality")
    today = timezone.localdate()
    overdue = ActionItem.objects.create(
        cluster=cluster, body=group, owner_group=group, title="overdue", deadline=today - datetime.timedelta(days=3)
    )
    ActionItem.objects.create(
        cluster=cluster, body=group, owner_group=group, title="done", deadline=today, status="done", done_on=today
    )
    meeting = services.meeting_save(
        meeting=Meeting(body=group, title="Monthly", date=today + datetime.timedelta(days=5)),
        agenda=["Lab tender", " "],
    )
    agenda = list(meeting.agenda_items.order_by("position"))
    assert [(a.title, a.action_item_id) for a in agenda] == [("Lab tender", None), ("overdue", overdue.pk)]
    # A new open item of the body joins the agenda of that next meeting by itself, once.
    new = services.action_item_save(
        item=ActionItem(cluster=cluster, owner_group=group, title="new", deadline=today + datetime.timedelta(days=20))
    )
    services.agenda_follow_ups_for_all()
    assert AgendaItem.objects.filter(meeting=meeting, action_item=new).count() == 1
    assert meeting.agenda_items.count() == 3


def test_follow_ups_are_not_added_to_held_meetings(cluster):
    group, people = body_with_members(cluster, BodyKind.WORKING_GROUP, members=2)
    ActionItem.objects.create(
        cluster=cluster, body=group, owner_group=group, title="x", deadline=datetime.date(2025, 1, 1)
    )
    held = MeetingFactory(body=group, status=MeetingStatus.HELD)
    assert services.agenda_add_follow_ups(meeting=held) == 0


# --- Attendance ----------------------------------------------------------------------------------


def test_attendance_records_every_member_and_marks_the_meeting_held(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=4)
    meeting = MeetingFactory(body=council, status=MeetingStatus.PLANNED)
    services.meeting_record_attendance(meeting=meeting, present_ids=[people[0].pk, people[1].pk, people[2].pk])
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert meeting.attendances.count() == 4
    assert meeting.quorum().met


def test_attendance_refuses_people_outside_the_body(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=2)
    meeting = MeetingFactory(body=council, status=MeetingStatus.PLANNED)
    with pytest.raises(ValidationError):
        services.meeting_record_attendance(meeting=meeting, present_ids=[UserFactory().pk])
    assert meeting.attendances.count() == 0


# --- Memberships and roles -----------------------------------------------------------------------


def test_a_council_seat_gives_the_council_role_and_the_enterprise_role(cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="")
    enterprise = EnterpriseFactory(cluster=cluster)
    person = UserFactory()
    services.membership_save(
        membership=Membership(body=council, person=person, enterprise=enterprise, start_date=datetime.date(2025, 1, 1))
    )
    roles = dict(ClusterRole.objects.filter(user=person, cluster=cluster).values_list("role", "is_active"))
    assert roles == {Role.COUNCIL: True, Role.ENTERPRISE: True}
    assert list(ClusterRole.objects.get(user=person, role=Role.ENTERPRISE).enterprises.all()) == [enterprise]


def test_membership_cannot_represent_an_enterprise_of_another_cluster(cluster, other_cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="")
    with pytest.raises(ValidationError) as error:
        services.membership_save(
            membership=Membership(
                body=council,
                person=UserFactory(),
                enterprise=EnterpriseFactory(cluster=other_cluster),
                start_date=datetime.date(2025, 1, 1),
            )
        )
    assert "enterprise" in error.value.message_dict
    assert not ClusterRole.objects.exists()


def test_a_cluster_has_one_council(cluster):
    BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="", name="Council")
    second = BodyFactory.build(cluster=cluster, kind=BodyKind.COUNCIL, area="", name="Second council")
    with pytest.raises(ValidationError):
        second.full_clean()


# --- Regulations ---------------------------------------------------------------------------------


def test_approving_a_new_version_supersedes_the_old_one(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    meeting = meeting_with_attendance(council, people, present=3)
    decision = services.decision_save(decision=Decision(meeting=meeting, title="Approve", votes_for=3))
    v1 = Regulation.objects.create(cluster=cluster, kind=RegulationKind.DATA_COLLECTION, title="Data", version=1)
    services.regulation_approve(regulation=v1, decision=decision)
    v2 = Regulation.objects.create(cluster=cluster, kind=RegulationKind.DATA_COLLECTION, title="Data", version=2)
    services.regulation_approve(regulation=v2, decision=decision)
    v1.refresh_from_db()
    assert (v1.status, v2.status) == (RegulationStatus.SUPERSEDED, RegulationStatus.APPROVED)
    assert v2.effective_from == meeting.date


def test_a_rejected_decision_cannot_approve_a_regulation(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    meeting = meeting_with_attendance(council, people, present=3)
    decision = services.decision_save(decision=Decision(meeting=meeting, title="No", votes_for=1, votes_against=2))
    draft = Regulation.objects.create(cluster=cluster, kind=RegulationKind.COUNCIL, title="Council", version=1)
    with pytest.raises(ValidationError):
        services.regulation_approve(regulation=draft, decision=decision)
    draft.refresh_from_db()
    assert draft.status == RegulationStatus.DRAFT


def test_approved_regulation_without_decision_is_refused_by_the_database(cluster):
    with pytest.raises(IntegrityError), transaction.atomic():
        Regulation.objects.create(
            cluster=cluster, kind=RegulationKind.COUNCIL, title="x", status=RegulationStatus.APPROVED
        )


# --- Reminders -----------------------------------------------------------------------------------


def test_reminders_go_to_owners_of_items_due_soon_or_overdue(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=2)
    today = timezone.localdate()
    ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=people[0], title="Soon", deadline=today + datetime.timedelta(days=2)
    )
    ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=people[0], title="Late", deadline=today - datetime.timedelta(days=2)
    )
    ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=people[1], title="Far", deadline=today + datetime.timedelta(days=30)
    )
    assert services.action_item_reminders(today=today) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [people[0].email]
    assert "Soon" in mail.outbox[0].body and "Late" in mail.outbox[0].body and "Far" not in mail.outbox[0].body


def test_only_a_council_decision_approves_a_regulation(cluster):
    office, people = body_with_members(cluster, BodyKind.OFFICE, members=3)
    meeting = meeting_with_attendance(office, people, present=3)
    decision = services.decision_save(decision=Decision(meeting=meeting, title="Approve", votes_for=3))
    draft = Regulation.objects.create(cluster=cluster, kind=RegulationKind.OFFICE, title="Office", version=1)
    with pytest.raises(ValidationError) as error:
        services.regulation_approve(regulation=draft, decision=decision)
    assert "council" in str(error.value)


def test_ending_the_last_seat_withdraws_the_role_it_gave(cluster):
    group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="quality")
    other_group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="export")
    person = UserFactory()
    start = datetime.date(2025, 1, 1)
    seat = services.membership_save(membership=Membership(body=group, person=person, start_date=start))
    second = services.membership_save(membership=Membership(body=other_group, person=person, start_date=start))
    seat.end_date = timezone.localdate() - datetime.timedelta(days=1)
    services.membership_save(membership=seat)
    assert ClusterRole.objects.get(user=person, role=Role.WORKING_GROUP).is_active  # still in the export group
    second.end_date = seat.end_date
    services.membership_save(membership=second)
    assert not ClusterRole.objects.get(user=person, role=Role.WORKING_GROUP).is_active


def _active_roles(person, cluster):
    return set(ClusterRole.objects.filter(user=person, cluster=cluster, is_active=True).values_list("role", flat=True))


def test_moving_a_seat_from_the_office_to_a_working_group_takes_the_office_role(cluster):
    office = BodyFactory(cluster=cluster, kind=BodyKind.OFFICE, area="")
    group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="quality")
    person = UserFactory()
    seat = services.membership_save(
        membership=Membership(body=office, person=person, start_date=datetime.date(2025, 1, 1))
    )
    assert _active_roles(person, cluster) == {Role.OFFICE}
    seat.body = group
    services.membership_save(membership=seat)
    assert _active_roles(person, cluster) == {Role.WORKING_GROUP}


def test_seat_roles_follow_seat_dates_and_represented_enterprises(cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="")
    first, second = EnterpriseFactory(cluster=cluster), EnterpriseFactory(cluster=cluster)
    person = UserFactory()
    today = timezone.localdate()
    seat = services.membership_save(
        membership=Membership(
            body=council, person=person, enterprise=first, start_date=today + datetime.timedelta(days=90)
        )
    )
    assert _active_roles(person, cluster) == set()  # a seat that has not started gives nothing yet
    services.seat_roles_sync_all(today=today + datetime.timedelta(days=90))
    assert _active_roles(person, cluster) == {Role.COUNCIL, Role.ENTERPRISE}
    seat.start_date, seat.enterprise = datetime.date(2025, 1, 1), second
    services.membership_save(membership=seat)
    grant = ClusterRole.objects.get(user=person, role=Role.ENTERPRISE)
    assert list(grant.enterprises.all()) == [second]  # no longer represents the first
    Membership.objects.filter(pk=seat.pk).update(end_date=today - datetime.timedelta(days=1))
    services.seat_roles_sync_all(today=today)
    assert _active_roles(person, cluster) == set()


def test_roles_given_by_hand_are_left_alone_by_seats(cluster):
    group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="export")
    person = UserFactory()
    services.cluster_role_grant(user=person, cluster=cluster, role=Role.WORKING_GROUP)
    seat = services.membership_save(
        membership=Membership(body=group, person=person, start_date=datetime.date(2025, 1, 1))
    )
    seat.end_date = timezone.localdate() - datetime.timedelta(days=1)
    services.membership_save(membership=seat)
    assert _active_roles(person, cluster) == {Role.WORKING_GROUP}


def test_a_role_withdrawn_on_the_people_page_stays_withdrawn_until_a_later_seat(client, cluster):
    """The office withdraws a council member's role on the people page: the nightly sync of seat roles does not give
    it back for the seat the person already held; a seat taken after the withdrawal does."""
    from django.urls import reverse

    from tests.governance.factories import ClusterRoleFactory

    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="")
    person = UserFactory()
    services.membership_save(membership=Membership(body=council, person=person, start_date=datetime.date(2025, 1, 1)))
    grant = ClusterRole.objects.get(user=person, cluster=cluster, role=Role.COUNCIL)
    office = ClusterRoleFactory(cluster=cluster, role=Role.OFFICE).user
    client.force_login(office)
    assert client.post(reverse("governance:person_role_withdraw", args=[grant.pk])).status_code == 302
    services.seat_roles_sync_all()
    assert Role.COUNCIL not in _active_roles(person, cluster)
    services.membership_save(membership=Membership(body=council, person=person, start_date=timezone.localdate()))
    assert Role.COUNCIL in _active_roles(person, cluster)


def test_action_item_owner_must_be_a_person_of_the_cluster(cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    outsider = UserFactory()
    item = ActionItem(
        cluster=cluster, body=council, owner_person=outsider, title="x", deadline=datetime.date(2025, 5, 1)
    )
    with pytest.raises(ValidationError) as error:
        services.action_item_save(item=item)
    assert "owner_person" in error.value.message_dict
    item.owner_person = people[0]
    services.action_item_save(item=item)
