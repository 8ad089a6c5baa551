"""Ingest benchmark: monthly figures through the bulk API (`POST /api/v1/data-values/`) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ingest .venv/bin/python bench/ingest.py

200 enterprises × 18 data elements × 28 months (100 800 rows) are posted in batches, first as new
rows, then again unchanged, then with every value changed; rows per second for each pass, by one
uploader and then by two at once (two ERP systems on two server workers: this machine has 2 cores). Then
peak Python memory (tracemalloc) of one request for several batch sizes: it should not grow
faster than the batch itself. The database named in DATABASE_URL is dropped and recreated.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster_platform.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_ingest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=200)
    parser.add_argument("--months", type=int, default=28)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--uploaders", type=int, default=2, help="concurrent uploaders in the second round")
    parser.add_argument(
        "--breakdown", action="store_true", help="only: where the time of posting new rows goes, against COPY"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from bench.common import recreate_database

    recreate_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from governance.auth import api_token_issue
    from governance.models import Cluster, ClusterRole, Enterprise
    from kpi.models import DataElement, ReportingPeriod, add_months

    today = datetime.date.today()
    cluster = Cluster.objects.create(
        name="Bench cluster", sector="Textile", region="Bukhara", start_date=datetime.date(2020, 1, 1)
    )
    enterprises = Enterprise.objects.bulk_create(
        Enterprise(
            cluster=cluster,
            name=f"Enterprise {i}",
            taxpayer_id=f"{400000000 + i:09d}",
            kind="processor",
            value_chain_link="processing",
            joined_on=datetime.date(2020, 1, 1),
        )
        for i in range(args.enterprises)
    )
    first = add_months(today.replace(day=1), -args.months)
    # Months with a far deadline: all open, as when an enterprise loads its history before go-live.
    periods = ReportingPeriod.objects.bulk_create(
        ReportingPeriod(
            cluster=cluster,
            month=add_months(first, k),
            deadline=today + datetime.timedelta(days=30),
            lock_date=today + datetime.timedelta(days=60),
        )
        for k in range(args.months)
    )
    user = get_user_model().objects.create_user("bench-office", password="x")
    ClusterRole.objects.create(user=user, cluster=cluster, role="office")
    _instance, token = api_token_issue(user=user)
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    codes = list(DataElement.objects.values_list("code", flat=True))
    # Parts below their wholes, counts whole: every row passes the hard rules.
    shares = {
        "finished_output": 0.5,
        "value_added": 0.3,
        "purchases_in_cluster": 0.25,
        "local_inputs": 0.25,
        "production_cost": 0.7,
        "finished_goods_inventory": 0.2,
        "export_revenue": 0.1,
    }
    fixed = {
        "defective_units": 5,
        "shipments_on_time": 40,
        "shipments_total": 50,
        "delivery_days_total": 150,
        "downtime_days": 2,
        "employees": 120,
        "employees_trained": 3,
        "coop_contracts": 4,
    }

    def rows(offset: int, part: int = 0, parts: int = 1):
        for e_index, enterprise in enumerate(enterprises):
            if e_index % parts != part:
                continue
            for p_index, period in enumerate(periods):
                base = 1000 + 10 * ((p_index + e_index) % 12) + offset
                for code in codes:
                    value = fixed.get(code, round(base * shares.get(code, 1), 1))
                    yield {
                        "enterprise": enterprise.taxpayer_id,
                        "period": period.key,
                        "data_element": code,
                        "value": value,
                    }

    def post_part(offset: int, part: int, parts: int) -> dict:
        """Post one uploader's share of the rows (its enterprises) in batches; the summed counts."""
        totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        batch: list[dict] = []

        def flush():
            body = json.dumps({"cluster": cluster.pk, "rows": batch})
            response = client.generic("POST", "/api/v1/data-values/", body, content_type="application/json")
            assert response.status_code == 200, response.content[:500]
            for key in totals:
                totals[key] += response.json()[key]
            batch.clear()

        for row in rows(offset, part, parts):
            batch.append(row)
            if len(batch) == args.batch:
                flush()
        if batch:
            flush()
        return totals

    def post_all(offset: int, label: str, uploaders: int) -> None:
        """All rows, by `uploaders` processes at once (as that many ERP systems on as many server workers)."""
        from django.db import connections

        started = time.perf_counter()
        if uploaders == 1:
            results = [post_part(offset, 0, 1)]
        else:
            connections.close_all()  # each process opens its own connection
            context = multiprocessing.get_context("fork")
            queue = context.Queue()
            processes = [
                context.Process(target=lambda k=k: queue.put(post_part(offset, k, uploaders))) for k in range(uploaders)
            ]
            for process in processes:
                process.start()
            results = [queue.get() for _ in processes]
            for process in processes:
                process.join()
        elapsed = time.perf_counter() - started
        totals = {key: sum(r[key] for r in results) for key in results[0]}
        n = sum(totals.values())
        rate = f"{n:>7} rows in {elapsed:6.2f} s = {n / elapsed:8.0f} rows/s"
        print(f"{label:<10} {uploaders} uploader(s) {rate}   {totals}")

    shape = f"{args.enterprises} enterprises × {len(codes)} data elements × {args.months} months"
    print(f"{shape}, batches of {args.batch}")
    if args.breakdown:
        breakdown(post_all, list(rows(0)))
        return
    for uploaders in (1, args.uploaders) if args.uploaders > 1 else (1,):
        if uploaders > 1:
            from kpi.models import DataValue, DataValueChange, Submission

            DataValueChange.objects.all().delete()
            DataValue.objects.all().delete()
            Submission.objects.all().delete()
        post_all(0, "new", uploaders)
        post_all(0, "unchanged", uploaders)
        post_all(100, "changed", uploaders)

    print("peak Python memory of one request (tracemalloc):")
    for size in (1000, 2500, 5000, 10000):
        sample = list(rows(200))[:size]
        body = json.dumps({"cluster": cluster.pk, "rows": sample})
        tracemalloc.start()
        response = client.generic("POST", "/api/v1/data-values/", body, content_type="application/json")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert response.status_code == 200
        print(
            f"  batch {size:>6}: {peak / 1e6:7.1f} MB peak, {peak / size / 1e3:5.2f} kB per row "
            f"(request body {len(body) / 1e6:.1f} MB)"
        )


# Functions whose cumulative time the breakdown reports, in the order a request reaches them.
PHASES = [
    ("the whole request (test client, DRF, service)", "django/test/client.py", "generic"),
    ("  JSON body parsed (DRF)", "rest_framework/request.py", "_parse"),
    ("  request serializer validated", "rest_framework/serializers.py", "is_valid"),
    ("    each row's shape checked (row_shape_problems)", "kpi/api/serializers.py", "row_shape_problems"),
    ("  data_values_write (the service)", "kpi/services/ingest.py", "data_values_write"),
    ("    rows parsed one by one (_parse_row)", "kpi/services/ingest.py", "_parse_row"),
    ("    hard rules and history (_judge)", "kpi/services/ingest.py", "_judge"),
    ("      history read (history_for)", "kpi/validation.py", "history_for"),
    ("      soft warnings", "kpi/validation.py", "soft_warnings"),
    ("      write (_write)", "kpi/services/ingest.py", "_write"),
    ("        COPY + upsert + change log", "kpi/services/ingest.py", "_insert_postgresql"),
    ("        rows formatted for COPY", "kpi/services/ingest.py", "_copy_text"),
    ("        submissions made for new months", "kpi/services/ingest.py", "_submissions_ensure"),
    ("        forms loaded before made stale", "kpi/services/ingest.py", "_forms_made_stale"),
    ("      months queued for recomputation", "kpi/services/scheduling.py", "kpi_values_changed"),
    (
        "  commit: the deferred foreign-key checks run here",
        "~",
        "<method 'commit' of 'psycopg2.extensions.connection' objects>",
    ),
]


def breakdown(post_all, rows: list[dict]) -> None:
    """Post the new rows once under cProfile and report the cumulative time of each phase, then COPY the same rows
    into the same table (the floor: no API, no validation, no change log) and into a copy without its foreign keys
    and indexes. The profiler slows Python down; compare the phases with each other, the floors with the timed run."""
    import cProfile
    import io as _io
    import pstats

    from django.db import connection

    from kpi.models import DataValue, DataValueChange, Submission

    post_all(0, "new", 1)  # without the profiler: the rate to compare the floors with
    DataValueChange.objects.all().delete()
    DataValue.objects.all().delete()
    Submission.objects.all().delete()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    post_all(0, "new", 1)
    profile.disable()
    profiled = time.perf_counter() - started
    stats = pstats.Stats(profile, stream=_io.StringIO())
    found: dict[tuple[str, str], float] = {}
    for (filename, _line, name), (_cc, _nc, _tt, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for _label, path, function in PHASES:
            if filename.endswith(path) and name == function:
                found[(path, function)] = found.get((path, function), 0.0) + cumulative
    print(f"profiled run: {profiled:.2f} s (cProfile's own cost included); the functions that take most of it:")
    top = io_stats = _io.StringIO()
    pstats.Stats(profile, stream=io_stats).sort_stats("tottime").print_stats(12)
    print("\n".join(line for line in top.getvalue().splitlines() if line.strip()[:1].isdigit()))
    for label, path, function in PHASES:
        share = found.get((path, function), 0.0)
        print(f"  {label:<52} {share:7.2f} s  {100 * share / profiled:5.1f} %")

    # The same figures in COPY's text format, into the table as it is, after emptying it.
    values = list(
        DataValue.objects.order_by("pk").values_list(
            "cluster_id",
            "enterprise_id",
            "period_id",
            "data_element_id",
            "value",
            "comment",
            "updated_at",
            "updated_by_id",
        )
    )
    DataValueChange.objects.all().delete()
    DataValue.objects.all().delete()
    Submission.objects.all().delete()
    text = "".join(
        "\t".join("\\N" if v is None else (v.isoformat() if isinstance(v, datetime.datetime) else str(v)) for v in row)
        + "\n"
        for row in values
    )
    columns = "cluster_id, enterprise_id, period_id, data_element_id, value, comment, updated_at, updated_by_id"
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.cursor.copy_expert(f"COPY kpi_datavalue ({columns}) FROM STDIN", _io.StringIO(text))
        copy_floor = time.perf_counter() - started
        cursor.execute("CREATE TEMPORARY TABLE bare (LIKE kpi_datavalue INCLUDING DEFAULTS INCLUDING IDENTITY)")
        started = time.perf_counter()
        cursor.cursor.copy_expert(f"COPY bare ({columns}) FROM STDIN", _io.StringIO(text))
        bare_floor = time.perf_counter() - started
        cursor.execute("DROP TABLE bare")
    print(f"  COPY of the {len(values):,} figures into kpi_datavalue     {copy_floor:7.2f} s")
    print(f"  COPY into a copy without foreign keys or indexes  {bare_floor:7.2f} s")


if __name__ == "__main__":
    main()
