"""One cluster's rows as one file: what `manage.py export_cluster` writes and `manage.py import_cluster` reads.

Which rows are a cluster's is not listed model by model. Every model of the installation (`apps.get_models()`) is
- the cluster's own, when its `scope_rule` (core.scoping) says how it reaches its cluster, or, without one, when a
  foreign key that is never empty leads to such a model (a past value-chain link, through its enterprise);
- shared (SHARED): rows that several clusters use, written when a row of the cluster refers to them and matched on
  import with the installation's own by a natural key (people by username, groups by name, the KPI catalogue by
  code);
- left out (EXCLUDED), each with its reason.
A model that is none of these stops both commands, so a model added later is never silently left out of a backup.

The file is JSON (gzip when its name ends in .gz): a header (format, version, cluster, export time, rows per model)
and the rows as Django's "python" serializer gives them, primary keys kept, references to people, groups and
permissions by natural key (`use_natural_foreign_keys`). This module imports no app of the project (`core` is the
bottom layer): it finds the models through the app registry, and the lists below name them by label.
"""

from __future__ import annotations

import datetime
import gzip
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from core.scoping import ScopeRule
from core.sql import statistics_refresh

FORMAT = "cluster-platform.cluster-export"
VERSION = 1

# Rows of the installation that belong to no cluster and are never written to the file, with the reason.
EXCLUDED: dict[str, str] = {
    "admin.logentry": "the admin's change log of the whole installation; it names rows by text, not by key",
    "sessions.session": "log-in sessions, which mean nothing on another installation",
    "axes.accessattempt": "the log-in protection's record of failed log-ins, per address and account",
    "axes.accessattemptexpiration": "the log-in protection's record of failed log-ins, per address and account",
    "axes.accessfailurelog": "the log-in protection's record of failed log-ins, per address and account",
    "axes.accesslog": "the log-in protection's record of log-ins, per address and account",
    "governance.apitoken": "API tokens are credentials of one installation: integrations get new ones after a restore",
    "contenttypes.contenttype": "written by `migrate` in every installation; the file names them by natural key",
    "auth.permission": "written by `migrate` in every installation; the file names them by natural key",
}

# Rows that several clusters (or the whole installation) use: written when a row of the cluster refers to them, and
# on import matched by these fields with the row the installation already has, which is kept as it is (a person
# of two clusters, the KPI catalogue `migrate` writes); only a row the installation lacks is written.
SHARED: dict[str, tuple[str, ...]] = {
    "auth.group": ("name",),
    "auth.user": ("username",),
    "kpi.dataelement": ("code",),
    "kpi.kpi": ("code",),
}

_CHUNK = 500  # ids per `IN (...)` query: within SQLite's limit on parameters


@dataclass(frozen=True)
class Plan:
    """Which models a cluster's file holds, each in an order where the rows it refers to come first."""

    cluster_model: type[Model]
    paths: dict[type[Model], str]  # the cluster's own models → lookup path from a row to its cluster
    shared: list[type[Model]]

    @property
    def models(self) -> list[type[Model]]:
        return [*self.shared, *self.paths]


def label(model: type[Model]) -> str:
    return model._meta.label_lower


def backup_plan() -> Plan:
    """Place every model of the installation: the cluster's own (with its path to the cluster), shared or left out.
    A model that is none of these is an error: say how it reaches its cluster (a `scope_rule`) or list it above."""
    paths: dict[type[Model], str] = {}
    shared: list[type[Model]] = []
    unplaced: list[type[Model]] = []
    for model in apps.get_models():
        if model._meta.proxy:  # its rows are its concrete model's
            continue
        if label(model) in EXCLUDED:
            continue
        if label(model) in SHARED:
            shared.append(model)
        elif isinstance(rule := getattr(model, "scope_rule", None), ScopeRule):
            paths[model] = rule.cluster
        else:
            unplaced.append(model)
    found = True
    while unplaced and found:
        found = False
        for model in list(unplaced):
            path = _path_through_a_key(model, paths)
            if path is not None:
                paths[model] = path
                unplaced.remove(model)
                found = True
    if unplaced:
        raise CommandError(
            "These models belong to no cluster and are not listed as shared or left out, so a backup would miss "
            f"them: {', '.join(sorted(label(m) for m in unplaced))}. Give each a scope_rule, a foreign key that is "
            "never empty to a model of a cluster, or an entry in core/management/cluster_backup.py."
        )
    clusters = [model for model, path in paths.items() if path == "pk"]
    if len(clusters) != 1:
        raise CommandError(f"Expected one model of clusters (scope_rule cluster='pk'), found {len(clusters)}.")
    return Plan(
        cluster_model=clusters[0],
        paths={model: paths[model] for model in dependency_order(list(paths))},
        shared=dependency_order(shared),
    )


def _path_through_a_key(model: type[Model], paths: dict[type[Model], str]) -> str | None:
    for key in model._meta.concrete_fields:
        target = key.related_model
        if key.is_relation and not key.null and isinstance(target, type) and target in paths:
            return key.name if paths[target] == "pk" else f"{key.name}__{paths[target]}"
    return None


def _relations(model: type[Model]) -> list[Any]:
    """The model's foreign keys and its many-to-many fields whose rows the serializer writes with it."""
    keys = [f for f in model._meta.concrete_fields if f.is_relation]
    many = [f for f in model._meta.local_many_to_many if _through(f)._meta.auto_created]
    return [*keys, *many]


def _through(relation: Any) -> type[Model]:
    return relation.remote_field.through


def dependency_order(models: list[type[Model]]) -> list[type[Model]]:
    """The models, each after the models it refers to (ties and circles keep the given order: the database checks
    foreign keys at the end of the transaction, so a circle through a key that may be empty loads all the same)."""
    needs = {m: {f.related_model for f in _relations(m)} & (set(models) - {m}) for m in models}
    ordered: list[type[Model]] = []
    remaining = list(models)
    while remaining:
        ready = next((m for m in remaining if needs[m] <= set(ordered)), remaining[0])
        ordered.append(ready)
        remaining.remove(ready)
    return ordered


def find_cluster(plan: Plan, text: str) -> Model:
    """The cluster by its id, its name or its name as a slug."""
    manager = plan.cluster_model._base_manager
    found = manager.filter(pk=int(text)).first() if text.isdigit() else None
    if found is None:
        found = next((c for c in manager.order_by("pk") if text in (str(c), slugify(str(c)))), None)
    if found is None:
        raise CommandError(f"No cluster has the id or name “{text}”.")
    return found


# --- export ---------------------------------------------------------------------------------------


def _serialize(queryset: QuerySet) -> list[dict[str, Any]]:
    model = queryset.model
    natural = [f.name for f in model._meta.concrete_fields if f.is_relation and hasattr(f.related_model, "natural_key")]
    many = [f.name for f in _relations(model) if f.many_to_many]
    if natural:
        queryset = queryset.select_related(*natural)
    if many:
        queryset = queryset.prefetch_related(*many)
    records = serializers.serialize("python", queryset.order_by("pk"), use_natural_foreign_keys=True)
    for record in records:
        for name in many:  # in a fixed order, so two exports of the same rows are the same
            record["fields"][name] = sorted(record["fields"][name], key=_sort_key)
    return records


def _sort_key(value: Any) -> tuple:
    return (1, tuple(str(v) for v in value)) if isinstance(value, list | tuple) else (0, value)


def _referenced(
    model: type[Model],
    records: list[dict[str, Any]],
    plan: Plan,
    own: dict[type[Model], set[Any]],
    wanted: dict[type[Model], set[Any]],
) -> None:
    """Note the shared rows the records refer to; a reference to a row of another cluster, or to a row that is left
    out of the file by number, is an error (the file could not be restored)."""
    for relation in _relations(model):
        target = relation.related_model
        for record in records:
            value = record["fields"].get(relation.name)
            values = value if relation.many_to_many else [value]
            for item in values:
                if item is None:
                    continue
                if isinstance(item, list | tuple):
                    item = tuple(item)  # a natural key: found by it on import
                    if target in wanted:
                        wanted[target].add(item)
                elif target in own:
                    if item not in own[target]:
                        raise CommandError(
                            f"{label(model)} {record['pk']} refers to {label(target)} {item}, which is not a row of "
                            "this cluster: the export would not load. Correct the row first."
                        )
                elif target in wanted:
                    wanted[target].add(item)
                else:
                    raise CommandError(
                        f"{label(model)}.{relation.name} refers to {label(target)} by number, which is left out of "
                        "the file: list the model as shared in core/management/cluster_backup.py."
                    )


def _shared_rows(model: type[Model], wanted: set[Any]) -> QuerySet:
    manager = model._base_manager
    if not wanted:
        return manager.none()
    if not isinstance(next(iter(wanted)), tuple):
        return manager.filter(pk__in=wanted)
    keys = SHARED[label(model)]
    if len(keys) == 1:
        return manager.filter(**{f"{keys[0]}__in": [k[0] for k in wanted]})
    match = Q(pk__in=[])
    for natural_key in wanted:
        match |= Q(**dict(zip(keys, natural_key, strict=True)))
    return manager.filter(match)


def export_cluster(cluster: Model, plan: Plan) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The file's header and rows: the shared rows the cluster's rows refer to, then every row of the cluster; all
    read in one transaction, on PostgreSQL at REPEATABLE READ, so the rows agree with each other while the platform
    runs (a SQLite transaction reads one snapshot already; there writers wait for the export, which takes seconds)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _export_rows(cluster, plan)


def _export_rows(cluster: Model, plan: Plan) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    own_records: dict[type[Model], list[dict[str, Any]]] = {}
    for model, path in plan.paths.items():
        own_records[model] = _serialize(model._base_manager.filter(**{path: cluster.pk}))
    own = {model: {r["pk"] for r in records} for model, records in own_records.items()}
    wanted: dict[type[Model], set[Any]] = {model: set() for model in plan.shared}
    for model, records in own_records.items():
        _referenced(model, records, plan, own, wanted)
    shared_records: dict[type[Model], list[dict[str, Any]]] = {}
    for model in reversed(plan.shared):  # a shared row's own references (a KPI's data elements) are read after it
        records = _serialize(_shared_rows(model, wanted[model]))
        found = {tuple(r["fields"][k] for k in SHARED[label(model)]) for r in records} | {r["pk"] for r in records}
        if wanted[model] - found:
            missing = ", ".join(sorted(str(w) for w in wanted[model] - found))
            raise CommandError(f"Rows of {label(model)} the cluster refers to do not exist: {missing}.")
        _referenced(model, records, plan, own, wanted)
        shared_records[model] = records
    in_order = [(m, shared_records[m]) for m in plan.shared] + [(m, own_records[m]) for m in plan.paths]
    header = {
        "format": FORMAT,
        "version": VERSION,
        "cluster": {"id": cluster.pk, "name": str(cluster)},
        "exported_at": timezone.now().isoformat(),
        "counts": {label(model): len(records) for model, records in in_order},
    }
    return header, [record for _model, records in in_order for record in records]


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, except that times keep their microseconds (it cuts them to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=_Encoder, ensure_ascii=False)


def write_file(path: str, header: dict[str, Any], records: Iterable[dict[str, Any]]) -> None:
    """Write the file (gzip when the name ends in .gz): the header's keys first, then one row a line. It is written
    beside the target and renamed when complete, so a failed export leaves no half file under the name."""
    partial = f"{path}.part"
    out: IO[str]
    if path.endswith(".gz"):
        out = gzip.open(partial, "wt", encoding="utf-8")
    else:
        out = open(partial, "w", encoding="utf-8")
    try:
        with out:
            out.write("{\n")
            for key, value in header.items():
                out.write(f"{_dumps(key)}: {_dumps(value)},\n")
            out.write('"objects": [\n')
            separator = ""
            for record in records:
                out.write(separator + _dumps(record))
                separator = ",\n"
            out.write("\n]\n}\n")
    except BaseException:
        os.remove(partial)
        raise
    os.replace(partial, path)


# --- import ---------------------------------------------------------------------------------------


def read_file(path: str) -> dict[str, Any]:
    """The file's contents, after checking that it is an export of a known version."""
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        with gzip.open(path, "rt", encoding="utf-8") if gzipped else open(path, encoding="utf-8") as source:
            document = json.load(source)
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as error:
        raise CommandError(f"Cannot read {path}: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CommandError(f"{path} is not a cluster export (manage.py export_cluster); nothing was imported.")
    if document.get("version") != VERSION:
        raise CommandError(
            f"{path} has format version {document.get('version')!r}, which this platform does not know (it reads "
            f"version {VERSION}); nothing was imported."
        )
    cluster = document.get("cluster")
    if not isinstance(document.get("objects"), list) or not isinstance(cluster, dict) or "id" not in cluster:
        raise CommandError(f"{path} is incomplete (no cluster or no rows); nothing was imported.")
    return document


@dataclass
class Restored:
    """Rows written and shared rows matched with the installation's own, per model."""

    written: dict[str, int] = field(default_factory=dict)
    matched: dict[str, int] = field(default_factory=dict)


class _References:
    """Turns the file's references into this installation's keys: natural keys looked up once each, numbers of
    shared rows that have another number here mapped."""

    def __init__(self) -> None:
        self.numbers: dict[type[Model], dict[Any, Any]] = {}
        self._natural: dict[tuple[type[Model], tuple], Any] = {}

    def _one(self, target: type[Model], value: Any) -> Any:
        if isinstance(value, list | tuple):
            key = (target, tuple(value))
            if key not in self._natural:
                try:
                    manager: Any = target._default_manager
                    self._natural[key] = manager.get_by_natural_key(*value).pk
                except ObjectDoesNotExist as error:
                    raise CommandError(
                        f"The file names {label(target)} {list(value)}, which this installation does not have (run "
                        "migrate?); nothing was imported."
                    ) from error
            return self._natural[key]
        return self.numbers.get(target, {}).get(value, value)

    def rewrite(self, model: type[Model], records: list[dict[str, Any]]) -> None:
        for relation in _relations(model):
            target = relation.related_model
            for record in records:
                value = record["fields"].get(relation.name)
                if value is None:
                    continue
                if relation.many_to_many:
                    record["fields"][relation.name] = [self._one(target, v) for v in value]
                else:
                    record["fields"][relation.name] = self._one(target, value)


def _existing(model: type[Model], pks: list[Any]) -> set[Any]:
    found: set[Any] = set()
    for start in range(0, len(pks), _CHUNK):
        found |= set(model._base_manager.filter(pk__in=pks[start : start + _CHUNK]).values_list("pk", flat=True))
    return found


def _refuse_what_exists(plan: Plan, rows: dict[type[Model], list[dict[str, Any]]]) -> None:
    cluster_model = plan.cluster_model
    (cluster,) = rows[cluster_model]
    if _existing(cluster_model, [cluster["pk"]]):
        raise CommandError(
            f"Cluster {cluster['pk']} already exists here: import_cluster restores a cluster into an installation "
            "without it; nothing was imported."
        )
    for unique in cluster_model._meta.concrete_fields:
        if unique.unique and not unique.primary_key and unique.name in cluster["fields"]:
            value = cluster["fields"][unique.name]
            if cluster_model._base_manager.filter(**{unique.name: value}).exists():
                raise CommandError(
                    f"A cluster with the {unique.name} “{value}” already exists here: import_cluster restores a "
                    "cluster into an installation without it; nothing was imported."
                )
    taken = {}
    for model in plan.paths:
        existing = _existing(model, [r["pk"] for r in rows.get(model, [])])
        if existing:
            taken[label(model)] = len(existing)
    if taken:
        listed = ", ".join(f"{name} {count}" for name, count in taken.items())
        raise CommandError(
            f"Rows of the file already exist here ({listed}): import_cluster restores into an installation without "
            "this cluster's rows; nothing was imported."
        )


def _insert(model: type[Model], objects: list[Model]) -> None:
    """Insert the rows as they are (`raw`: no `auto_now`, no signals), in batches: the insert that
    `Model.save_base(raw=True)` makes for one row."""
    if not objects:
        return
    if model._meta.parents:  # multi-table inheritance: each table of the row by save_base
        for obj in objects:
            obj.save_base(raw=True, force_insert=True)
        return
    fields = list(model._meta.local_concrete_fields)
    size = max(1, min(_CHUNK, connection.ops.bulk_batch_size(fields, objects)))
    manager: Any = model._base_manager
    for start in range(0, len(objects), size):
        manager._insert(objects[start : start + size], fields=fields, raw=True)


def _insert_many_to_many(model: type[Model], loaded: list[Any]) -> set[type[Model]]:
    """The rows of the model's many-to-many tables; returns those tables' models."""
    tables = set()
    for relation in _relations(model):
        if not relation.many_to_many:
            continue
        through = _through(relation)
        source: Any = through._meta.get_field(relation.m2m_field_name())
        target: Any = through._meta.get_field(relation.m2m_reverse_field_name())
        links = [
            through(**{source.attname: item.object.pk, target.attname: other})
            for item in loaded
            for other in item.m2m_data.get(relation.name, [])
        ]
        through._base_manager.bulk_create(links, batch_size=_CHUNK)
        tables.add(through)
    return tables


def _restore_shared(
    model: type[Model], records: list[dict[str, Any]], references: _References
) -> tuple[int, int, set[type[Model]]]:
    """Match the file's shared rows with the installation's by their key; write the others (under their number when
    it is free here, else under a new one). Returns (written, matched, tables written to)."""
    keys = SHARED[label(model)]
    references.rewrite(model, records)

    def key_of(record: dict[str, Any]) -> tuple:
        return tuple(record["fields"][k] for k in keys)

    here = {
        tuple(row[:-1]): row[-1] for row in _shared_rows(model, {key_of(r) for r in records}).values_list(*keys, "pk")
    }
    numbers = {r["pk"]: here[key_of(r)] for r in records if key_of(r) in here}
    new = [r for r in records if key_of(r) not in here]
    taken = _existing(model, [r["pk"] for r in new])
    loaded = list(serializers.deserialize("python", new, ignorenonexistent=False))
    _insert(model, [item.object for item in loaded if item.object.pk not in taken])
    for item in loaded:
        file_number = item.object.pk
        if file_number in taken:  # the number is another row's here: a new one
            item.object.pk = None
            item.object.save_base(raw=True, force_insert=True)
        numbers[file_number] = item.object.pk
    references.numbers[model] = numbers
    return len(new), len(records) - len(new), {model, *_insert_many_to_many(model, loaded)}


def restore(document: dict[str, Any], plan: Plan) -> Restored:
    """Load the file's rows in one transaction: refused, with nothing written, when the cluster or any row of it
    already exists here."""
    by_label = {label(model): model for model in plan.models}
    rows: dict[type[Model], list[dict[str, Any]]] = {}
    unknown = set()
    for record in document["objects"]:
        name = str(record.get("model")) if isinstance(record, dict) else str(record)[:60]
        model = by_label.get(name)
        if model is None:
            unknown.add(name)
        else:
            rows.setdefault(model, []).append(record)
    if unknown:
        raise CommandError(
            f"The file holds rows of {', '.join(sorted(unknown))}, which this installation does not restore; nothing "
            "was imported."
        )
    if len(rows.get(plan.cluster_model, [])) != 1:
        raise CommandError("The file does not hold exactly one cluster; nothing was imported.")
    result = Restored()
    references = _References()
    tables: set[type[Model]] = set()
    try:
        with transaction.atomic():
            _refuse_what_exists(plan, rows)
            for model in plan.shared:
                written, matched, written_to = _restore_shared(model, rows.get(model, []), references)
                result.written[label(model)], result.matched[label(model)] = written, matched
                tables |= written_to
            for model in plan.paths:
                records = rows.get(model, [])
                references.rewrite(model, records)
                loaded = list(serializers.deserialize("python", records, ignorenonexistent=False))
                _insert(model, [item.object for item in loaded])
                tables |= {model, *_insert_many_to_many(model, loaded)}
                result.written[label(model)] = len(loaded)
            connection.check_constraints(table_names=sorted(m._meta.db_table for m in tables))
            with connection.cursor() as cursor:  # new rows get numbers after the restored ones
                for statement in connection.ops.sequence_reset_sql(no_style(), sorted(tables, key=label)):
                    cursor.execute(statement)
            statistics_refresh(tables)  # the first pages and computations after a restore plan on the real sizes
    except (DeserializationError, FieldDoesNotExist, DatabaseError, KeyError, TypeError) as error:
        # A file from another version of the platform (a field or table that differs), or edited by hand.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CommandError(
            f"The file could not be restored ({type(error).__name__}: {first_line}); nothing was imported."
        ) from error
    return result
