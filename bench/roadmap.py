"""Roadmap benchmark: the gates read from live data on the demo cluster, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_roadmap .venv/bin/python bench/roadmap.py

Loads the demo (month 14, every gate read at the end of every month since the start), then times, with the queries
each takes: reading the three gates as of the last month (the daily job's monthly work), checking the gate
decisions' evidence again (after corrected figures), and the council's overview page. The database named in
DATABASE_URL is dropped and recreated.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster_platform.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_roadmap")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.common import recreate_database
    from bench.incentives import timed

    recreate_database()
    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.test import Client

    from demo.governance import load_demo
    from roadmap import services
    from roadmap.models import Phase

    start = time.perf_counter()
    cluster = load_demo().cluster
    print(f"demo loaded in {time.perf_counter() - start:.1f} s")
    month = services.latest_ended_month(cluster)
    phases = list(Phase.objects.filter(cluster=cluster).select_related("cluster"))
    timed(
        f"gate_evaluate x3 as of {month:%Y-%m}",
        lambda: [services.gate_evaluate(phase=p, month=month) for p in phases] and len(phases),
    )
    timed("decisions_recheck", lambda: services.decisions_recheck(cluster=cluster))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="council"))
    timed("GET /roadmap/ (council)", lambda: client.get("/roadmap/").status_code)
    timed("GET /roadmap/phases/2/ (council)", lambda: client.get("/roadmap/phases/2/").status_code)


if __name__ == "__main__":
    main()
