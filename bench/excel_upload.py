"""Excel upload benchmark: time and peak memory of reading uploads that are small on disk but costly to read, and of
a real template of the largest size accepted, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_excel .venv/bin/python bench/excel_upload.py

Each case runs in a fresh process (peak resident memory is the process's): `excel_upload` as the upload page
calls it, dry run (the figures are checked, nothing written). The database named in DATABASE_URL is dropped and
recreated.
"""

from __future__ import annotations

import datetime
import io
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster_platform.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_excel")

TAXPAYER = "311402567"
MONTH = datetime.date(2026, 10, 1)


def _setup_django():
    import django

    django.setup()


def build() -> None:
    """A cluster with 600 enterprises and an open month, its office user."""
    _setup_django()
    from bench.common import recreate_database

    recreate_database()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from governance.models import Cluster, ClusterRole, Enterprise
    from kpi.models import ReportingPeriod

    cluster = Cluster.objects.create(
        name="Bench", sector="Textile", region="Bukhara", start_date=datetime.date(2020, 1, 1)
    )
    Enterprise.objects.bulk_create(
        Enterprise(
            cluster=cluster,
            name=f"Korxona {i:03d}",
            taxpayer_id=TAXPAYER if i == 0 else f"{400000000 + i:09d}",
            kind="supplier",
            value_chain_link="supply",
            joined_on=datetime.date(2020, 1, 1),
        )
        for i in range(600)
    )
    ReportingPeriod.objects.create(
        cluster=cluster, month=MONTH, deadline=datetime.date(2030, 1, 10), lock_date=datetime.date(2030, 1, 25)
    )
    user = get_user_model().objects.create_user("bench-office", password="x")
    ClusterRole.objects.create(user=user, cluster=cluster, role="office")


def case_file(name: str) -> bytes:
    """The upload of a case (built in the measuring process: nothing of it in the parent's memory)."""
    from tests.kpi.hostile_xlsx import many_rows

    if name == "many_rows":  # 3.4 MB on disk, 45 MB unpacked: 280 000 rows of three figures
        return many_rows(rows=280_000, codes=["total_output", "finished_output", "employees"], taxpayer_id=TAXPAYER)
    if name == "rows_under_part_limit":  # 45 000 rows of three figures: a 7.3 MB sheet, under the part limit
        return many_rows(rows=45_000, codes=["total_output", "finished_output", "employees"], taxpayer_id=TAXPAYER)
    if name == "far_row":  # one row of figures on the last row Excel has
        return many_rows(rows=1, codes=["total_output"], taxpayer_id=TAXPAYER, first_row=1_048_576)
    if name == "text_table":  # a shared-strings part of 1.5 million strings
        return many_rows(rows=1, codes=["total_output"], taxpayer_id=TAXPAYER, shared_strings=1_500_000)
    if name == "template_580":  # a real template, 580 enterprises × 17 figures: 9 860 figures, under the limit
        return _filled_template(580)
    raise ValueError(name)


def _filled_template(enterprises: int) -> bytes:
    import openpyxl
    from django.contrib.auth import get_user_model

    from governance.models import Cluster
    from kpi import excel
    from kpi.models import ReportingPeriod

    cluster = Cluster.objects.get(name="Bench")
    period = ReportingPeriod.objects.get(cluster=cluster, month=MONTH)
    firms = list(cluster.enterprises.order_by("name")[:enterprises])
    content = excel.template_workbook(
        cluster=cluster, period=period, enterprises=firms, user=get_user_model().objects.get(username="bench-office")
    )
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=3, min_col=3):
        for cell in row:
            cell.value = 10
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(name: str, queue) -> None:
    _setup_django()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from governance.models import Cluster
    from kpi import excel

    content = case_file(name)
    cluster = Cluster.objects.get(name="Bench")
    user = get_user_model().objects.get(username="bench-office")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    report = excel.excel_upload(
        cluster=cluster,
        user=user,
        uploaded_file=SimpleUploadedFile("figures.xlsx", content),
        period_key=MONTH.strftime("%Y-%m"),
        dry_run=True,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put(
        {
            "case": name,
            "zipped_mb": round(len(content) / 1e6, 2),
            "seconds": round(seconds, 2),
            "peak_rss_mb": round(peak / 1024, 1),
            "rss_growth_mb": round((peak - before) / 1024, 1),
            "ok": report.ok,
            "figures_checked": report.created + report.updated + report.unchanged,
            "first_message": str(report.errors[0]) if report.errors else "",
        }
    )


def main() -> None:
    build()
    context = multiprocessing.get_context("spawn")
    names = sys.argv[1:] or ["template_580", "many_rows", "rows_under_part_limit", "far_row", "text_table"]
    for name in names:
        queue = context.Queue()
        process = context.Process(target=measure, args=(name, queue))
        process.start()
        process.join()
        print(json.dumps(queue.get(timeout=5), ensure_ascii=False))


if __name__ == "__main__":
    main()
