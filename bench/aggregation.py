"""Aggregation benchmark: KPI values from monthly figures on PostgreSQL, against the floor of one GROUP BY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_agg .venv/bin/python bench/aggregation.py

Two cases, both built straight in SQL (approved submissions, every data element every month):
- single: one cluster of 500 enterprises × 36 months (324 000 values);
- national: 200 clusters × 250 enterprises × 12 months (10.8 million values).

For each case it times, with the platform's own services:
- one month for every cluster (`kpi_values_compute_month`, as the monthly job runs it), and
- the whole history of every cluster (`kpi_values_compute_history`: every month and quarter),
each as a ratio to the floor: reading the figures once (a raw SQL `GROUP BY`) and writing the rows still
stored once, and against pandas and DuckDB doing the same KPIs from the same figures (`analyst.py`).
Goal: within 2× of the floor, and faster than pandas writing the same values into PostgreSQL.

Then, on one cluster of each case, the pages: the council overview and the KPI detail page (stored values), the
office's KPI detail, an enterprise's own page and a page of `kpi-values?scope=enterprise` (computed on read):
query count and server time of one request (Django's test client), and the latency of 20 concurrent clients
against the pages served by gunicorn on 127.0.0.1 (goal: p95 under 150 ms). The database named in DATABASE_URL
is dropped and recreated.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster_platform.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_agg")

# Typical monthly magnitudes per data element (thousand UZS, units, days, people): each enterprise
# gets a size and every figure a ±15 % wobble, so KPIs fall on both sides of their targets.
BASE = {
    "total_output": 1000,
    "finished_output": 420,
    "production_cost": 870,
    "produced_units": 1000,
    "defective_units": 30,
    "shipments_total": 50,
    "shipments_on_time": 43,
    "delivery_days_total": 250,
    "downtime_days": 1,
    "finished_goods_inventory": 1000,
    "coop_contracts": 4,
    "purchases_total": 600,
    "purchases_in_cluster": 360,
    "local_inputs": 480,
    "employees": 80,
    "export_revenue": 40000,
    "value_added": 260,
    "employees_trained": 3,
}
LINKS = ["supply", "processing", "service", "innovation"]


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    print(f"  {label:<52} {elapsed:8.2f} s", flush=True)
    return elapsed, result


# --- Building a case in SQL ----------------------------------------------------------------------------


def build(name: str, clusters: int, enterprises: int, months: int, seed: float) -> list[int]:
    """Clusters with enterprises over the four links, `months` closed months of approved figures; the ids."""
    from django.db import connection

    from demo.kpi import TARGETS
    from governance.models import Cluster
    from kpi.models import ClusterKpi, add_months
    from kpi.services import cluster_kpis_ensure

    today = datetime.date.today().replace(day=1)
    first = add_months(today, -months)
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            """
INSERT INTO governance_cluster (name, sector, region, start_date, currency, time_zone, created_at)
SELECT %s || ' ' || g, 'Textile', 'Bukhara', %s, 'UZS', 'Asia/Tashkent', now() FROM generate_series(1, %s) g
RETURNING id""",
            [name, first, clusters],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """
INSERT INTO governance_enterprise (cluster_id, name, taxpayer_id, kind, value_chain_link, status, joined_on,
                                   address, contact_email, phone)
SELECT c.id, 'Enterprise ' || c.id || '-' || g, lpad((100000000 + g)::text, 9, '0'), 'processor',
       (ARRAY['supply','processing','service','innovation'])[1 + g %% 4], 'active', %s, '', '', ''
FROM governance_cluster c, generate_series(1, %s) g WHERE c.id = ANY(%s)""",
            [first, enterprises, ids],
        )
        cursor.execute(
            """
INSERT INTO kpi_reportingperiod (cluster_id, month, deadline, lock_date, opened_at)
SELECT c.id, m::date, (m + interval '1 month 9 days')::date, (m + interval '1 month 19 days')::date, now()
FROM governance_cluster c, generate_series(%s::date, %s::date, interval '1 month') m WHERE c.id = ANY(%s)""",
            [first, add_months(today, -1), ids],
        )
        cursor.execute(
            """
INSERT INTO kpi_submission (cluster_id, enterprise_id, period_id, status, returned_reason, submitted_at,
                            on_time, decided_at, updated_at, lock_version)
SELECT e.cluster_id, e.id, p.id, 'approved', '', p.deadline, true, p.deadline, now(), 0
FROM governance_enterprise e JOIN kpi_reportingperiod p ON p.cluster_id = e.cluster_id
WHERE e.cluster_id = ANY(%s)""",
            [ids],
        )
        # Values: element base × enterprise size (0.5–1.5) × ±15 % a month.
        cursor.execute(
            """
CREATE TEMP TABLE bench_base (code text, base numeric);
CREATE TEMP TABLE bench_size AS
    SELECT id AS enterprise_id, 0.5 + random() AS size FROM governance_enterprise WHERE cluster_id = ANY(%s);
"""
            + "".join(
                cursor.mogrify("INSERT INTO bench_base VALUES (%s, %s);", [code, base]).decode()
                for code, base in BASE.items()
            ),
            [ids],
        )
        cursor.execute(
            """
INSERT INTO kpi_datavalue (cluster_id, enterprise_id, period_id, data_element_id, value, comment, updated_at)
SELECT s.cluster_id, s.enterprise_id, s.period_id, de.id,
       round((b.base * z.size * (0.85 + 0.3 * random()))::numeric, 2), '', now()
FROM kpi_submission s
JOIN bench_size z ON z.enterprise_id = s.enterprise_id
CROSS JOIN bench_base b
JOIN kpi_dataelement de ON de.code = b.code
WHERE s.cluster_id = ANY(%s)""",
            [ids],
        )
        cursor.execute("DROP TABLE bench_base; DROP TABLE bench_size")
    for cluster in Cluster.objects.filter(pk__in=ids):
        cluster_kpis_ensure(cluster=cluster)
    for code, (target, minimum) in TARGETS.items():
        ClusterKpi.objects.filter(cluster_id__in=ids, kpi__code=code).update(target=target, minimum=minimum)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids


# --- Aggregation against the floor --------------------------------------------------------------------


FLOORS = {
    # The coarsest: one row per cluster and data element.
    "cluster": "dv.cluster_id, dv.data_element_id",
    # The grouping the KPIs need first: one row per enterprise, data element and month.
    "enterprise": "dv.enterprise_id, dv.data_element_id, dv.period_id",
}


def floor_group_by(ids: list[int], months: list[datetime.date], by: str = "cluster") -> float:
    """One GROUP BY over the figures of these clusters and months (read to the client): best of 3."""
    from django.db import connection

    sql = f"""
SELECT {FLOORS[by]}, SUM(dv.value), COUNT(dv.value)
FROM kpi_datavalue dv JOIN kpi_reportingperiod p ON p.id = dv.period_id
WHERE dv.cluster_id = ANY(%s) AND p.month = ANY(%s)
GROUP BY {FLOORS[by]}"""
    best = float("inf")
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            cursor.execute(sql, [ids, months])
            cursor.fetchall()
            best = min(best, time.perf_counter() - started)
    return best


def floor_write(ids: list[int]) -> float:
    """The least any computation storing these KPI values pays to write them: the stored rows copied by one
    INSERT … SELECT into a table like kpi_kpivalue, with its indexes (a temporary one, so no WAL: a floor)."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_kpi_copy (LIKE kpi_kpivalue INCLUDING ALL) ON COMMIT DROP")
        started = time.perf_counter()
        cursor.execute("INSERT INTO bench_kpi_copy SELECT * FROM kpi_kpivalue WHERE cluster_id = ANY(%s)", [ids])
        elapsed = time.perf_counter() - started
    return elapsed


def _month_for_every_cluster(compute, clusters, month) -> None:
    """As the monthly job does it (kpi_values_compute_due): the month for every cluster, in batches."""
    from kpi.models import Span
    from kpi.services.computation import BATCH_CLUSTERS

    for start in range(0, len(clusters), BATCH_CLUSTERS):
        compute(clusters=clusters[start : start + BATCH_CLUSTERS], spans=[Span.month(month)], trigger="schedule")


def _batch_in_worker(job: tuple[str, list[int], list[str]]) -> int:
    """One batch in a worker process, as a Celery worker runs kpi_values_batch_task."""
    from governance.models import Cluster
    from kpi.services import kpi_values_compute_history, kpi_values_compute_many

    kind, ids, keys = job
    clusters = list(Cluster.objects.filter(pk__in=ids).order_by("pk"))
    if kind == "history":
        return kpi_values_compute_history(clusters=clusters)
    return sum(r.values for r in kpi_values_compute_many(clusters=clusters, spans=keys, trigger="schedule"))


def in_workers(jobs: list[tuple[str, list[int], list[str]]], processes: int = 2) -> None:
    """The batches spread over `processes` worker processes (a Celery worker with that concurrency)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()  # each process opens its own connection
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_batch_in_worker, jobs, chunksize=1)


def measure_aggregation(label: str, ids: list[int], months: int) -> dict:
    from django.db import connection

    from governance.models import Cluster
    from kpi.models import DataValue, KpiValue, Span, add_months
    from kpi.services import kpi_values_compute_history, kpi_values_compute_many
    from kpi.services.computation import BATCH_CLUSTERS

    today = datetime.date.today().replace(day=1)
    last = add_months(today, -1)
    last_key = Span.month(last).key
    all_months = [add_months(today, -k) for k in range(months, 0, -1)]
    values = DataValue.objects.filter(cluster_id__in=ids).count()
    print(f"{label}: {len(ids)} cluster(s), {values:,} values", flush=True)
    clusters = list(Cluster.objects.filter(pk__in=ids).order_by("pk"))

    month_floor = floor_group_by(ids, [last])
    print(f"  {'floor: one GROUP BY over one month':<52} {month_floor:8.2f} s", flush=True)
    month_fine = floor_group_by(ids, [last], "enterprise")
    print(f"  {'  … grouped by enterprise, element and month':<52} {month_fine:8.2f} s", flush=True)
    # First computation of the month, then again (the rows are replaced).
    month_first, _ = timed(
        f"one month ({Span.month(last).key}) for every cluster, first",
        lambda: _month_for_every_cluster(kpi_values_compute_many, clusters, last),
    )
    month_again, _ = timed(
        "the same month again (rows replaced)",
        lambda: _month_for_every_cluster(kpi_values_compute_many, clusters, last),
    )
    history_floor = floor_group_by(ids, all_months)
    print(f"  {'floor: one GROUP BY over the whole history':<52} {history_floor:8.2f} s", flush=True)
    history_fine = floor_group_by(ids, all_months, "enterprise")
    print(f"  {'  … grouped by enterprise, element and month':<52} {history_fine:8.2f} s", flush=True)
    history, _ = timed(
        f"whole history ({months} months + quarters) for every cluster",
        lambda: kpi_values_compute_history(clusters=clusters),
    )
    if len(ids) > BATCH_CLUSTERS:
        chunks = [ids[k : k + BATCH_CLUSTERS] for k in range(0, len(ids), BATCH_CLUSTERS)]
        month_workers, _ = timed(
            "one month, batches on 2 worker processes", lambda: in_workers([("month", c, [last_key]) for c in chunks])
        )
        history_workers, _ = timed(
            "whole history, batches on 2 worker processes", lambda: in_workers([("history", c, []) for c in chunks])
        )
        print(
            f"  on 2 workers: one month {month_workers / month_floor:.1f}× the floor, "
            f"history {history_workers / history_floor:.1f}×",
            flush=True,
        )
    stored = KpiValue.objects.filter(cluster_id__in=ids).count()
    # What the history computed, as one digest per kind of row: a change of how values are computed (issue 12)
    # must leave the cluster and link rows, and the enterprise values however they are read, the same.
    print(f"  checksum of the cluster and link rows: {values_checksum(ids, 'enterprise_id IS NULL')}", flush=True)
    if len(ids) == 1:  # the enterprises' own values, as they are read now (computed), against the stored ones before
        print(f"  checksum of the enterprise values: {enterprise_checksum(clusters)}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('kpi_datavalue'))")
        size = cursor.fetchone()[0]
    write_floor = floor_write(ids)
    print(f"  {'write floor: the stored values copied once':<52} {write_floor:8.2f} s", flush=True)
    result = {
        "month": (month_again, month_floor),
        "history": (history, history_floor),
    }
    floor_read_write = {"month": month_fine, "history": history_fine + write_floor}
    ours = {"month": month_again, "history": history}
    compare_with_analysts(ids, {"month": [last], "history": all_months}, ours, floor_read_write)
    print(f"  {stored:,} KPI values stored; kpi_datavalue on disk: {size}")
    print(
        f"  history against reading and writing (GROUP BY floor + write floor): "
        f"{history / (history_floor + write_floor):.1f}×",
        flush=True,
    )
    print(
        f"  ratio to the floor: one month {month_again / month_floor:.1f}× "
        f"(first run {month_first / month_floor:.1f}×), history {history / history_floor:.1f}×; "
        f"to the per-enterprise GROUP BY: one month {month_again / month_fine:.1f}×, "
        f"history {history / history_fine:.1f}×",
        flush=True,
    )
    return result


def enterprise_checksum(clusters) -> str:
    """The digest of `values_checksum` over every enterprise's own values of the computed periods, as the platform
    reads them now (computed on read; issue 12), written to a temporary copy of kpi_kpivalue first: the same
    digest as over the enterprise rows the computation stored before."""
    from django.db import connection, transaction
    from psycopg2.extras import execute_values

    from kpi.models import KpiComputation, Span
    from kpi.services.enterprise_values import EnterpriseValues, Readable

    work = [
        (c, Span.parse(key))
        for c in clusters
        for key in KpiComputation.objects.filter(cluster=c).values_list("period", flat=True)
    ]
    rows = EnterpriseValues(work=work, readable=Readable.everything(clusters)).rows()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE kpi_kpivalue RENAME TO bench_kpivalue_stored")
        cursor.execute("CREATE TEMP TABLE kpi_kpivalue (LIKE bench_kpivalue_stored INCLUDING DEFAULTS)")
        execute_values(
            cursor,
            "INSERT INTO kpi_kpivalue (id, cluster_id, kpi_id, period, period_kind, period_start, scope, link, "
            "enterprise_id, value, numerator, denominator, target, minimum, status, reporting_enterprises, "
            "p25, median, p75, disclosure) VALUES %s",
            [
                (
                    i,
                    r.cluster_id,
                    r.kpi_id,
                    r.period,
                    r.period_kind,
                    r.period_start,
                    r.scope,
                    r.link,
                    r.enterprise_id,
                    r.value,
                    r.numerator,
                    r.denominator,
                    r.target,
                    r.minimum,
                    r.status,
                    r.reporting_enterprises,
                    None,
                    None,
                    None,
                    r.disclosure,
                )
                for i, r in enumerate(rows, start=1)
            ],  # fmt: skip
            page_size=5000,
        )
        digest = values_checksum([c.pk for c in clusters], "enterprise_id IS NOT NULL")
        transaction.set_rollback(True)
    return digest


def compare_with_analysts(ids, months_of: dict, ours: dict, floors: dict) -> None:
    """The same KPIs by pandas and by DuckDB from the same figures (bench/analyst.py), against ours and the floor of
    reading the figures once (the per-enterprise GROUP BY) plus writing the rows still stored once."""
    import tempfile

    from bench import analyst

    try:
        import duckdb  # noqa: F401
        import pandas  # noqa: F401
    except ImportError:
        print("  (pandas and DuckDB are not installed: pip install -e '.[bench]')", flush=True)
        return
    folder = Path(tempfile.mkdtemp())
    terms, stocks, min_q = analyst.catalogue(ids)
    unlocked = analyst.open_periods(ids)
    for what, months in months_of.items():
        spans = analyst.spans(months, quarters=what == "history")
        needed = sorted({m for s in spans for m in (*s.months, *s.year_before)})
        figures = folder / f"figures-{what}.csv"
        exported = analyst.export_figures(ids, needed, figures)
        expected = analyst.stored(ids, [s.key for s in spans])
        print(
            f"  {what}: ours {ours[what]:.2f} s, {ours[what] / floors[what]:.1f}× the floor of reading the figures "
            f"once and writing the stored rows once ({floors[what]:.2f} s); figures out as CSV {exported:.2f} s",
            flush=True,
        )
        for name, compute in (("pandas", analyst.pandas_kpis), ("DuckDB", analyst.duckdb_kpis)):
            out = folder / f"{name}-{what}.csv"
            started = time.perf_counter()
            compute(figures, terms, stocks, spans, min_q, out)
            alone = time.perf_counter() - started
            copied = analyst.copy_into_postgres(out)
            end_to_end = exported + alone + copied
            print(
                f"    {name:<7} CSV in, values out {alone:6.2f} s; with the figures out of and the values into "
                f"PostgreSQL {end_to_end:6.2f} s (ours {ours[what] / end_to_end:.2f}× that); "
                f"values {analyst.check(out, expected, unlocked)}",
                flush=True,
            )


def values_checksum(ids: list[int], rows: str) -> str:
    """md5 of the stored KPI values of these clusters (`rows`: a condition on kpi_kpivalue), in a fixed order,
    each value as PostgreSQL prints its numeric (so the digest is the same on any machine)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*), md5(string_agg(concat_ws('|', k.code, v.period, v.scope, v.link, v.enterprise_id,
                   v.value, v.numerator, v.denominator, v.target, v.minimum, v.status, v.reporting_enterprises,
                   v.p25, v.median, v.p75, v.disclosure),
                   E'\\n' ORDER BY c.name, k.code, v.period, v.scope, v.link, v.enterprise_id))
            FROM kpi_kpivalue v JOIN kpi_kpi k ON k.id = v.kpi_id JOIN governance_cluster c ON c.id = v.cluster_id
            WHERE v.cluster_id = ANY(%s) AND {rows}
            """,
            [ids],
        )
        count, digest = cursor.fetchone()
    return f"{digest} ({count:,} rows)"


# --- Dashboards ------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure_pages(cluster_id: int, concurrency: int, requests_per_client: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from governance.models import ClusterRole, Enterprise
    from kpi.models import KpiValue

    def person(role: str):
        username = f"bench-{role}-{cluster_id}"  # one per cluster: both cases share the database
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            user = get_user_model().objects.create_user(username, password="bench-pass-1234")
            grant = ClusterRole.objects.create(user=user, cluster_id=cluster_id, role=role)
            if role == "enterprise":
                grant.enterprises.add(Enterprise.objects.filter(cluster_id=cluster_id).order_by("pk").first())
        return user

    latest = KpiValue.objects.filter(cluster_id=cluster_id, period_kind="month").latest("period_start").period
    firm = Enterprise.objects.filter(cluster_id=cluster_id).order_by("pk").first()
    # (label, who reads it, url): the pages that read stored values, then those that compute enterprises' own values
    # when read (issue 12): the KPI's distribution for the office, an enterprise's own page with its trend, and a page
    # of the API's enterprise values.
    pages = [
        ("council overview", "council", f"/data/kpis/?cluster={cluster_id}&period={latest}"),
        ("KPI detail (council)", "council", f"/data/kpis/DEFECT/?cluster={cluster_id}&period={latest}"),
        ("KPI detail (office)", "office", f"/data/kpis/DEFECT/?cluster={cluster_id}&period={latest}"),
        ("own page + trend", "enterprise", f"/data/kpis/enterprise/{firm.pk}/?cluster={cluster_id}&period={latest}"),
        (
            "API, 100 firms' values",
            "office",
            f"/api/v1/kpi-values/?cluster={cluster_id}&period={latest}&scope=enterprise&page_size=100",
        ),
    ]
    sessions = {}
    size = Enterprise.objects.filter(cluster_id=cluster_id).count()
    print(f"pages of a cluster of {size} enterprises (period {latest}):")
    for label, role, url in pages:
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(person(role))
        sessions[label] = client.cookies["sessionid"].value
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        queries: list[str] = []
        with connection.execute_wrapper(lambda execute, sql, *args, q=queries: q.append(sql) or execute(sql, *args)):
            client.get(url)
        times = []
        for _ in range(30):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        print(
            f"  {label:<24} {len(queries):3d} queries; one request at a time: "
            f"p50 {1000 * statistics.median(times):6.1f} ms, p95 {1000 * percentile(times, 0.95):6.1f} ms"
        )

    # The same pages from gunicorn as the Docker image runs it (3 sync workers; here on 2 cores, beside the
    # clients), 20 clients at once. Server time is gunicorn's own (access log, %(D)s µs: from the request
    # read to the response written), latency is what a client waited, queueing included.
    import tempfile

    # BENCH_PORT: another bench or server may hold the default port on a shared machine.
    port = int(os.environ.get("BENCH_PORT", "8765"))
    log = Path(tempfile.mkdtemp()) / "access.log"
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "cluster_platform.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--access-logfile",
            str(log),
            "--access-logformat",
            "%(U)s %(D)s",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)

        def fetch(url: str, session: str) -> float:
            request = urllib.request.Request(base + url, headers={"Cookie": f"sessionid={session}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
                response.read()
            return time.perf_counter() - started

        for label, _role, url in pages:
            session = sessions[label]
            for _ in range(6):
                fetch(url, session)  # warm every worker
            log.write_text("")
            latencies: list[float] = []
            lock = threading.Lock()

            def run(url=url, session=session, latencies=latencies, lock=lock):
                mine = [fetch(url, session) for _ in range(requests_per_client)]
                with lock:
                    latencies.extend(mine)

            threads = [threading.Thread(target=run) for _ in range(concurrency)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            time.sleep(0.5)  # the workers flush their log lines
            path = url.split("?")[0]
            server_times = [
                int(line.split()[1]) / 1e6
                for line in log.read_text().splitlines()
                if line.split() and line.split()[0] == path
            ]
            print(
                f"  {label:<24} {concurrency} clients × {requests_per_client}: server time "
                f"p50 {1000 * statistics.median(server_times):6.1f} ms, "
                f"p95 {1000 * percentile(server_times, 0.95):6.1f} ms; latency "
                f"p50 {1000 * statistics.median(latencies):6.1f} ms, p95 {1000 * percentile(latencies, 0.95):6.1f} ms; "
                f"{len(latencies) / elapsed:6.1f} requests/s"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["single", "national", "both"], default="both")
    parser.add_argument("--national-clusters", type=int, default=200)
    parser.add_argument("--national-enterprises", type=int, default=250)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--requests", type=int, default=20, help="requests per concurrent client")
    parser.add_argument(
        "--keep",
        nargs="?",
        const="Single 1",
        help="measure the pages of this cluster (by default Single 1) on the database as it is (no build)",
    )
    args = parser.parse_args()

    import django

    django.setup()
    if args.keep:
        from governance.models import Cluster

        measure_pages(Cluster.objects.get(name=args.keep).pk, args.concurrency, args.requests)
        return
    from bench.common import recreate_database

    recreate_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    if args.case in ("single", "both"):
        _t, ids = timed("build: 1 cluster × 500 enterprises × 36 months", lambda: build("Single", 1, 500, 36, 0.1))
        measure_aggregation("single", ids, 36)
        measure_pages(ids[0], args.concurrency, args.requests)
    if args.case in ("national", "both"):
        n, e = args.national_clusters, args.national_enterprises
        _t, ids = timed(f"build: {n} clusters × {e} enterprises × 12 months", lambda: build("National", n, e, 12, 0.2))
        measure_aggregation("national", ids, 12)
        measure_pages(ids[0], args.concurrency, args.requests)


if __name__ == "__main__":
    main()
