"""`manage.py aggregate_kpis`: compute KPI values (what the daily task does, or one period, or all history)."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.management.base import TranslatedCommand
from governance.models import Cluster
from kpi import services
from kpi.models import Span


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Compute KPI values: the periods that are due (default), one period with --period, all history with --all, "
        "or the periods changes left pending with --pending."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cluster", type=int, help=gettext_lazy("Only this cluster (id)."))
        parser.add_argument("--period", help=gettext_lazy("A month (YYYY-MM) or a quarter (YYYY-Qn)."))
        parser.add_argument("--all", action="store_true", help=gettext_lazy("Recompute every month and quarter."))
        parser.add_argument(
            "--pending",
            action="store_true",
            help=gettext_lazy("Compute the periods that changes recorded and that were not computed since."),
        )

    def handle(self, *args, cluster=None, period=None, all=False, pending=False, **options):
        if pending:
            count = services.kpi_values_sweep(older_than=datetime.timedelta(0))
            self.stdout.write(_("KPI periods computed: %(count)s.") % {"count": count})
            return
        clusters = Cluster.objects.order_by("pk")
        if cluster is not None:
            clusters = clusters.filter(pk=cluster)
            if not clusters.exists():
                raise CommandError(_("There is no cluster with id %(id)s.") % {"id": cluster})
        if period:
            try:
                span = Span.parse(period)
            except ValueError as error:
                raise CommandError(_("Give the period as YYYY-MM or YYYY-Qn.")) from error
            try:
                values = sum(services.kpi_values_compute(cluster=c, span=span).values for c in clusters)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        elif all:
            values = sum(services.kpi_values_compute_history(cluster=c) for c in clusters)
        else:
            if cluster is not None:
                raise CommandError(_("Give --period or --all with --cluster."))
            periods = services.kpi_values_compute_due()
            self.stdout.write(_("KPI periods computed: %(count)s.") % {"count": periods})
            return
        self.stdout.write(_("KPI values computed: %(count)s.") % {"count": values})
