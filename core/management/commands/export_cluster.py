from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.management.cluster_backup import backup_plan, export_cluster, find_cluster, write_file


class Command(BaseCommand):
    help = (
        "Export one cluster to one file (JSON; gzip when the name ends in .gz): the cluster, its enterprises, "
        "figures with their history, KPI values, alerts, governance, portfolio, incentives, roadmap and "
        "notifications, the people its rows name (with their password hashes and groups, so they log in after a "
        "restore) and the catalogue rows it uses. Primary keys are kept. `import_cluster` restores the file. "
        "Log-in sessions and attempts, API tokens and the admin's log are left out (core/management/cluster_backup.py "
        "lists what and why); a model that belongs to no cluster and is not listed there stops the export."
    )

    def add_arguments(self, parser):
        parser.add_argument("cluster", help="The cluster's id or name (or its name as a slug).")
        parser.add_argument(
            "-o", "--output", help="The file to write (default: cluster-<id>-<date>.json.gz in this directory)."
        )

    def handle(self, *args, cluster, output=None, **options):
        plan = backup_plan()
        found = find_cluster(plan, cluster)
        path = output or f"cluster-{found.pk}-{timezone.localdate():%Y-%m-%d}.json.gz"
        header, records = export_cluster(found, plan)
        try:
            write_file(path, header, records)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error}") from error
        counts = header["counts"]
        self.stdout.write(
            self.style.SUCCESS(f"Cluster {found.pk} “{found}” exported to {path}: {sum(counts.values())} rows.")
        )
        if options["verbosity"] >= 1:
            for name, count in counts.items():
                if count:
                    self.stdout.write(f"  {name}: {count}")
