"""Writing reported figures: one service behind the monthly form, the Excel upload and the bulk API.

Rows are upserted on (enterprise, period, data element). The batch is validated in sets (a handful
of queries however many rows), written with one multi-row upsert per chunk, and every change is
recorded in `DataValueChange` by this service itself (a signal-driven history would miss
`bulk_create`).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Cluster, Enterprise
from governance.scoping import CHANGE, is_office, restrict

from ..choices import ENTERPRISE_EDITABLE, Channel, PeriodStatus, SubmissionStatus
from ..models import (
    DataCollectionRules,
    DataElement,
    DataValue,
    DataValueChange,
    ReportingPeriod,
    Submission,
    parse_month,
)
from ..validation import MAX_COMMENT, Problem, Row, check_rows, history_for, parse_value, soft_warnings
from .formula import counted_statuses
from .scheduling import kpi_values_changed

if TYPE_CHECKING:
    from core.typing import AnyUser, User

CHUNK = 2000

# Channels that write into locked months: an approved correction, and the platform itself (demo
# history, figures carried over from an earlier system), which has no user to ask.
LOCK_EXEMPT = (Channel.CORRECTION, Channel.SYSTEM)


@dataclass
class WriteResult:
    """What a batch did, in the shape of the data-values contract (plus the soft-rule warnings)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    conflicts: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "conflicts": [p.as_dict() for p in self.conflicts],
            "warnings": [p.as_dict() for p in self.warnings],
        }

    @property
    def ok(self) -> bool:
        return not self.conflicts


def collection_rules(cluster: Cluster) -> DataCollectionRules:
    """The cluster's data-collection rules (the defaults until the office sets them)."""
    rules = DataCollectionRules.objects.filter(cluster=cluster).first()
    return rules or DataCollectionRules(cluster=cluster)


def writable_enterprise_ids(user: AnyUser, cluster: Cluster, enterprise_ids) -> set[int]:
    """Of `enterprise_ids`, those whose figures `user` may write: the office all, a representative their own."""
    queryset = Enterprise.objects.filter(cluster=cluster, pk__in=list(enterprise_ids))
    return set(restrict(queryset, user, CHANGE).values_list("pk", flat=True))


def data_values_write(
    *,
    cluster: Cluster,
    user: AnyUser | None,
    rows: Sequence[Mapping],
    channel: str,
    dry_run: bool = False,
    atomic: bool = False,
    now: datetime.datetime | None = None,
) -> WriteResult:
    """Validate and upsert a batch of figures given as the API's rows.

    Each row: {"enterprise": taxpayer id, "period": "YYYY-MM", "data_element": code, "value": number
    or null, "comment": optional text}. A rejected row writes nothing; with `atomic` one rejected
    row rejects the whole batch; with `dry_run` nothing is written and the counts say what would be.
    Only an approved correction (channel "correction") and the platform itself ("system") write into
    a locked month.
    """
    now = now or timezone.now()
    problems: list[Problem] = []
    rows = list(rows)

    # 1. Resolve what the rows name, in one query per kind.
    taxpayer_ids = {_text(r.get("enterprise")) for r in rows if isinstance(r, Mapping)}
    enterprises = dict(
        Enterprise.objects.filter(cluster=cluster, taxpayer_id__in=taxpayer_ids).values_list("taxpayer_id", "pk")
    )
    # No user: the platform itself writes (demo data, migrations of old figures).
    writable = (
        set(enterprises.values()) if user is None else writable_enterprise_ids(user, cluster, enterprises.values())
    )
    month_keys = {r["period"] for r in rows if isinstance(r, Mapping) and isinstance(r.get("period"), str)}
    months = {}
    for key in month_keys:
        try:
            months[key] = parse_month(key)
        except ValueError:
            continue
    periods = {
        p.month: p
        for p in ReportingPeriod.objects.filter(cluster=cluster, month__in=set(months.values())).select_related(
            "cluster"
        )
    }
    elements = {e.code: e for e in DataElement.objects.all()}
    office = is_office(user, cluster) if user is not None else True

    # 2. Parse each row on its own.
    parsed: list[Row] = []
    seen: set[tuple[int, int, int]] = set()
    locked_periods = {p.pk for p in periods.values() if p.status_at(now) == PeriodStatus.LOCKED}
    for index, raw in enumerate(rows):
        row = _parse_row(index, raw, enterprises, writable, months, periods, elements, problems)
        if row is None:
            continue
        if row.key in seen:
            problems.append(Problem(index, "data_element", _("This figure appears twice in the batch.")))
            continue
        seen.add(row.key)
        if row.period_id in locked_periods and channel not in LOCK_EXEMPT:
            problems.append(
                Problem(
                    index,
                    "period",
                    _("This month is locked: its figures change only through a correction that the office approves."),
                )
            )
            continue
        parsed.append(row)

    if dry_run:
        return _judge(cluster, user, channel, parsed, problems, rows, office, elements, atomic, write=False, now=now)
    # Writers of the same enterprises' figures take turns: each reads the figures the one before it wrote, so
    # the counts, the change records and their old values are exact, however many post at once.
    with transaction.atomic():
        lock_enterprises({r.enterprise_id for r in parsed})
        return _judge(cluster, user, channel, parsed, problems, rows, office, elements, atomic, write=True, now=now)


def lock_enterprises(enterprise_ids) -> None:
    """Lock these enterprises' rows (in id order, so two writers never wait for each other in a circle) for the
    rest of the transaction: writes of their figures queue. FOR NO KEY UPDATE: rows that only refer to an
    enterprise are still written meanwhile."""
    if enterprise_ids:
        list(
            Enterprise.objects.select_for_update(no_key=True)
            .filter(pk__in=sorted(enterprise_ids))
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _judge(
    cluster, user, channel, parsed, problems, rows, office, elements, atomic, *, write: bool, now
) -> WriteResult:
    """Steps 3–7 of `data_values_write`, on the figures as they are stored now (locked when writing)."""
    result = WriteResult()
    # 3. The state of the submissions the rows fall in.
    pairs = {(r.enterprise_id, r.period_id) for r in parsed}
    enterprise_ids = {e for e, _p in pairs}
    period_ids = {p for _e, p in pairs}
    statuses = {
        (e, p): s
        for e, p, s in Submission.objects.filter(
            enterprise_id__in=enterprise_ids, period_id__in=period_ids
        ).values_list("enterprise_id", "period_id", "status")
    }
    if not office and channel not in LOCK_EXEMPT:
        kept = []
        for row in parsed:
            status = statuses.get((row.enterprise_id, row.period_id), SubmissionStatus.DRAFT)
            if status not in ENTERPRISE_EDITABLE:
                problems.append(
                    Problem(
                        row.index,
                        "period",
                        _(
                            "The figures of this month are already submitted: they change only after the office "
                            "returns them."
                        ),
                    )
                )
            else:
                kept.append(row)
        parsed = kept

    # 4. Hard rules against the stored figures of the same enterprises and months.
    stored: dict[tuple[int, int, int], tuple[Decimal | None, str]] = {}
    if parsed:
        queryset = DataValue.objects.filter(enterprise_id__in=enterprise_ids, period_id__in=period_ids)
        for e, p, d, value, comment in queryset.values_list(
            "enterprise_id", "period_id", "data_element_id", "value", "comment"
        ).iterator(chunk_size=5000):
            stored[(e, p, d)] = (value, comment)
    codes = {code: element.pk for code, element in elements.items()}
    problems.extend(check_rows(parsed, {k: v[0] for k, v in stored.items()}, codes))
    rejected_rows = {p.row for p in problems}
    parsed = [r for r in parsed if r.index not in rejected_rows]

    # 5. Soft rules: warnings only.
    if parsed and channel in (Channel.FORM, Channel.EXCEL, Channel.API):
        rules = collection_rules(cluster)
        history = history_for(
            cluster_id=cluster.pk,
            enterprise_ids={r.enterprise_id for r in parsed},
            element_ids={r.element_id for r in parsed},
            first=min(r.month for r in parsed),
            last=max(r.month for r in parsed),
            months=rules.history_months,
            overlay=parsed,
        )
        result.warnings = soft_warnings(
            parsed, history, threshold=rules.deviation_threshold, months=rules.history_months
        )

    # 6. Count what would change.
    result.conflicts = sorted(problems, key=lambda p: p.row)
    result.rejected = len(rejected_rows)
    changed: list[tuple[Row, bool, Decimal | None, str]] = []
    for row in parsed:
        before = stored.get(row.key)
        if before is None:
            result.created += 1
            changed.append((row, False, None, ""))
        elif before[0] == row.value and (row.comment is None or row.comment == before[1]):
            result.unchanged += 1
        else:
            result.updated += 1
            changed.append((row, True, before[0], before[1]))

    if atomic and problems:
        return WriteResult(rejected=len(rows), conflicts=result.conflicts, warnings=result.warnings)
    if not write or not changed:
        return result
    _write(cluster=cluster, user=user, changed=changed, channel=channel, now=now)
    _recompute_counted(cluster, statuses, [row for row, *_rest in changed])
    return result


def _recompute_counted(cluster: Cluster, statuses: dict, rows: list[Row]) -> None:
    """Figures that count in the KPIs changed after their period was computed: recompute it."""

    counted = set(counted_statuses(count_submitted=collection_rules(cluster).count_submitted))
    counting = [r for r in rows if statuses.get((r.enterprise_id, r.period_id)) in counted]
    if counting:
        kpi_values_changed(
            cluster_id=cluster.pk, months={r.month for r in counting}, elements={r.element_id for r in counting}
        )


def _parse_row(index, raw, enterprises, writable, months, periods, elements, problems) -> Row | None:
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(
                index, "non_field_errors", _("Each row is an object with enterprise, period, data_element and value.")
            )
        )
        return None
    before = len(problems)
    enterprise_id = enterprises.get(_text(raw.get("enterprise")))
    if enterprise_id is None:
        problems.append(
            Problem(index, "enterprise", _("No participant enterprise of this cluster has this taxpayer id."))
        )
    elif enterprise_id not in writable:
        problems.append(Problem(index, "enterprise", _("You may not report figures for this enterprise.")))
    month = months.get(_text(raw.get("period")))
    period = periods.get(month) if month else None
    if month is None:
        problems.append(Problem(index, "period", _("Give the month as YYYY-MM.")))
    elif period is None:
        problems.append(Problem(index, "period", _("This month is not open for reporting.")))
    element = elements.get(_text(raw.get("data_element")))
    if element is None:
        problems.append(Problem(index, "data_element", _("There is no data element with this code.")))
    if "value" not in raw:
        problems.append(Problem(index, "value", _("This field is required.")))
    elif element is not None:
        value, error = parse_value(raw["value"], element)
        if error:
            problems.append(Problem(index, "value", error))
    comment = raw.get("comment")
    if comment is not None and not isinstance(comment, str):
        problems.append(Problem(index, "comment", _("Not a valid string.")))
    elif comment is not None and len(comment) > MAX_COMMENT:
        problems.append(
            Problem(index, "comment", _("A comment is at most %(limit)s characters.") % {"limit": MAX_COMMENT})
        )
    if len(problems) > before or period is None:
        return None
    return Row(index, enterprise_id, period.pk, month, element, value, comment.strip() if comment else comment)


def _text(value) -> str:
    """A row's name of something (taxpayer id, month, code) as text; anything but text or a whole number names
    nothing (a list or an object where a name belongs)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


class ValueRow(NamedTuple):
    """A figure as written: the DataValue fields, in the order COPY sends them."""

    cluster: int
    enterprise: int
    period: int
    data_element: int
    value: Decimal | None
    comment: str
    updated_at: datetime.datetime
    updated_by: int | None


class ChangeRow(NamedTuple):
    """A change of a figure as recorded: the DataValueChange fields, in the order COPY sends them."""

    cluster: int
    enterprise: int
    period: int
    data_element: int
    existed: bool
    old_value: Decimal | None
    new_value: Decimal | None
    changed_by: int | None
    changed_at: datetime.datetime
    channel: str


@transaction.atomic
def _write(*, cluster, user: User | None, changed, channel, now) -> None:
    """Upsert the changed figures, record each change and make sure each month has its submission."""
    user_id = user.pk if user is not None else None
    values = []
    changes = []
    pairs = set()
    for row, existed, old_value, old_comment in changed:
        comment = old_comment if row.comment is None else row.comment
        values.append(
            ValueRow(
                cluster=cluster.pk,
                enterprise=row.enterprise_id,
                period=row.period_id,
                data_element=row.element_id,
                value=row.value,
                comment=comment,
                updated_at=now,
                updated_by=user_id,
            )
        )
        changes.append(
            ChangeRow(
                cluster=cluster.pk,
                enterprise=row.enterprise_id,
                period=row.period_id,
                data_element=row.element_id,
                existed=existed,
                old_value=old_value,
                new_value=row.value,
                changed_by=user_id,
                changed_at=now,
                channel=channel,
            )
        )
        pairs.add((row.enterprise_id, row.period_id))
    if connection.vendor == "postgresql":
        _insert_postgresql(values, changes)
    else:
        _insert_orm(values, changes)
    _submissions_ensure(cluster, pairs)
    _forms_made_stale(pairs)


def _submissions_ensure(cluster, pairs: set[tuple[int, int]]) -> None:
    """Each (enterprise, period) with figures has its submission (a draft where none was started)."""
    Submission.objects.bulk_create(
        [Submission(cluster_id=cluster.pk, enterprise_id=e, period_id=p) for e, p in sorted(pairs)],
        batch_size=CHUNK,
        ignore_conflicts=True,
    )


def _forms_made_stale(pairs: set[tuple[int, int]]) -> None:
    """A month's figures changed: a form loaded before this (the monthly form, a submission's page) is stale. One
    UPDATE on PostgreSQL (the pairs as two arrays, the rows locked in id order: two writers of overlapping months
    wait for each other instead of locking in a circle); per period elsewhere."""
    if connection.vendor == "postgresql":
        ordered = sorted(pairs)
        table = connection.ops.quote_name(Submission._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET lock_version = lock_version + 1 WHERE id IN ("
                f"SELECT s.id FROM {table} s JOIN unnest(%s::bigint[], %s::bigint[]) AS c(enterprise_id, period_id) "
                f"ON s.enterprise_id = c.enterprise_id AND s.period_id = c.period_id ORDER BY s.id FOR UPDATE OF s)",
                [[e for e, _p in ordered], [p for _e, p in ordered]],
            )
        return
    by_period: dict[int, list[int]] = {}
    for enterprise_id, period_id in pairs:
        by_period.setdefault(period_id, []).append(enterprise_id)
    for period_id, enterprise_ids in sorted(by_period.items()):
        Submission.objects.filter(period_id=period_id, enterprise_id__in=sorted(enterprise_ids)).update(
            lock_version=F("lock_version") + 1
        )


def _columns(model, names) -> list[str]:
    return [model._meta.get_field(name).column for name in names]


def _instances(model, rows: list) -> list:
    """Model instances from NamedTuple rows whose fields are the model's (a foreign key given by its id)."""
    if not rows:
        return []
    names = [model._meta.get_field(name).attname for name in rows[0]._fields]
    return [model(**dict(zip(names, row, strict=True))) for row in rows]


def _copy_field(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(COPY_ESCAPES)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return str(value)


def _copy_column(values: list) -> list[str]:
    """One column in COPY's text format: once where every row holds the same value (cluster, user, time,
    channel), by the plain formatter where it holds only numbers (ids, figures), else cell by cell."""
    if all(v == values[0] for v in values):
        return [_copy_field(values[0])] * len(values)
    kinds = {type(v) for v in values}
    if kinds <= {int, Decimal}:
        return list(map(str, values))
    if kinds <= {int, Decimal, type(None)}:
        return ["\\N" if v is None else str(v) for v in values]
    return [_copy_field(v) for v in values]


def _copy_text(rows: Sequence[tuple]) -> io.StringIO:
    """Rows in PostgreSQL's COPY text format: tab-separated, \\N for NULL, special characters escaped. Formatted
    column by column: the per-cell type tests were a tenth of a batch's time."""
    if not rows:
        return io.StringIO("")
    columns = [_copy_column(list(column)) for column in zip(*rows, strict=True)]
    return io.StringIO("\n".join(map("\t".join, zip(*columns, strict=True))) + "\n")


COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _insert_postgresql(values: list[ValueRow], changes: list[ChangeRow]) -> None:
    """COPY the figures into a temporary table and upsert them from there; COPY the change records.

    Django's bulk_create builds and prepares a model instance per row, which costs more than the
    database's own work on 100 000 rows; COPY moves the rows as one stream of text.
    """
    qn = connection.ops.quote_name
    value_columns = ", ".join(map(qn, _columns(DataValue, ValueRow._fields)))
    unique = ", ".join(map(qn, _columns(DataValue, ("enterprise", "period", "data_element"))))
    updates = ", ".join(
        f"{qn(c)} = EXCLUDED.{qn(c)}" for c in _columns(DataValue, ("value", "comment", "updated_at", "updated_by"))
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE kpi_incoming_values (cluster_id bigint, enterprise_id bigint, period_id bigint, "
            "data_element_id bigint, value numeric(20, 4), comment text, updated_at timestamptz, "
            "updated_by_id integer) ON COMMIT DROP"
        )
        cursor.cursor.copy_expert(f"COPY kpi_incoming_values ({value_columns}) FROM STDIN", _copy_text(values))
        cursor.execute(
            f"INSERT INTO {qn(DataValue._meta.db_table)} ({value_columns}) "
            f"SELECT {value_columns} FROM kpi_incoming_values "
            f"ON CONFLICT ({unique}) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE kpi_incoming_values")
        change_columns = ", ".join(map(qn, _columns(DataValueChange, ChangeRow._fields)))
        cursor.cursor.copy_expert(
            f"COPY {qn(DataValueChange._meta.db_table)} ({change_columns}) FROM STDIN", _copy_text(changes)
        )


def _insert_orm(values: list[ValueRow], changes: list[ChangeRow]) -> None:
    """The same writes through the ORM, for the embedded SQLite database."""
    DataValue.objects.bulk_create(
        _instances(DataValue, values),
        batch_size=CHUNK,
        update_conflicts=True,
        unique_fields=["enterprise", "period", "data_element"],
        update_fields=["value", "comment", "updated_at", "updated_by"],
    )
    DataValueChange.objects.bulk_create(
        _instances(DataValueChange, changes),
        batch_size=CHUNK,
    )
