from django.core.management.base import BaseCommand

from core.management.cluster_backup import backup_plan, read_file, restore


class Command(BaseCommand):
    help = (
        "Restore one cluster from a file written by `export_cluster` (JSON or gzip), with its primary keys, in one "
        "transaction, into an installation that has no row of that cluster: it refuses, writing nothing, when the "
        "cluster (its id or name) or any of its rows already exists, or when the file's format version is unknown. "
        "Rows that the whole installation shares are matched, not duplicated: content types and permissions (which "
        "`migrate` writes) are found by natural key; groups by name, people by username and the KPI catalogue "
        "(data elements, KPIs) by code, keeping the row the installation already has (a person of two clusters "
        "keeps their account as it is here); only a shared row the installation lacks is written, under its number "
        "when that is free. The cluster's own rows that `migrate` would write (its KPI settings, its roadmap) come "
        "from the file: run migrate before the import, not instead of it. Sequences are reset afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The file export_cluster wrote.")

    def handle(self, *args, file, **options):
        plan = backup_plan()
        document = read_file(file)
        result = restore(document, plan)
        cluster = document["cluster"]
        written, matched = sum(result.written.values()), sum(result.matched.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Cluster {cluster['id']} “{cluster['name']}” restored from {file}: {written} rows written, "
                f"{matched} shared rows matched with this installation's."
            )
        )
        if options["verbosity"] >= 1:
            for name, count in result.written.items():
                extra = f" (and {result.matched[name]} matched)" if result.matched.get(name) else ""
                if count or extra:
                    self.stdout.write(f"  {name}: {count}{extra}")
