"""Incentives benchmark: the quarterly evaluation on the demo cluster, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_incentives .venv/bin/python bench/incentives.py

Loads the demo (its incentives evaluate two quarters), then times, with the queries each takes: evaluating the
latest evaluated quarter again (every enterprise, three packages, each condition; the same rows), the check of a
quarter after corrected figures (`recheck_quarter`: evaluation plus the before/after comparison), and a rule
draft's gain/loss preview. The database named in DATABASE_URL is dropped and recreated.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster_platform.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_incentives")


def timed(label: str, run, repeat: int = 3) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best = None
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            result = run()
            took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    print(f"{label:<58} {best * 1000:8.0f} ms  {len(queries):5d} queries  ({result})")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.common import recreate_database

    recreate_database()
    call_command("migrate", verbosity=0)
    from demo.governance import load_demo
    from incentives import services
    from incentives.models import Evaluation, Participation, RuleVersion

    start = time.perf_counter()
    cluster = load_demo().cluster
    print(f"demo loaded in {time.perf_counter() - start:.1f} s")
    quarter = Participation.objects.filter(cluster=cluster).order_by("-quarter").values_list("quarter", flat=True)[0]
    enterprises = Participation.objects.filter(cluster=cluster, quarter=quarter).count()
    rows = Evaluation.objects.filter(cluster=cluster, quarter=quarter).count()
    print(f"{quarter}: {enterprises} enterprises, {rows} package evaluations")
    timed(f"evaluate_quarter {quarter} again", lambda: len(services.evaluate_quarter(cluster=cluster, quarter=quarter)))
    timed(
        f"recheck_quarter {quarter} (nothing changed)",
        lambda: len(services.recheck_quarter(cluster=cluster, quarter=quarter)),
    )
    draft = RuleVersion.objects.filter(package__cluster=cluster, status="draft").first()
    if draft is not None:
        timed("rule_preview of the draft", lambda: len(services.rule_preview(rule=draft).lose))


if __name__ == "__main__":
    main()
