"""`manage.py open_periods`: open the months that ended, in every cluster (what the daily task does)."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.management.base import TranslatedCommand
from governance.models import Cluster
from kpi import services
from kpi.models import parse_month


class Command(TranslatedCommand):
    help = gettext_lazy("Open the monthly reporting periods that are due, or one month with --month.")

    def add_arguments(self, parser):
        parser.add_argument("--cluster", type=int, help=gettext_lazy("Only this cluster (id)."))
        parser.add_argument("--month", help=gettext_lazy("Open this month (YYYY-MM) even if it has not ended."))

    def handle(self, *args, cluster=None, month=None, **options):
        clusters = Cluster.objects.all()
        if cluster is not None:
            clusters = clusters.filter(pk=cluster)
            if not clusters.exists():
                raise CommandError(_("There is no cluster with id %(id)s.") % {"id": cluster})
        if month:
            try:
                first = parse_month(month)
            except ValueError as error:
                raise CommandError(_("Give the month as YYYY-MM.")) from error
            for c in clusters:
                services.period_open(cluster=c, month=first)
            self.stdout.write(_("%(month)s is open in %(count)s clusters.") % {"month": month, "count": len(clusters)})
            return
        opened = services.periods_open_due(clusters=clusters)
        self.stdout.write(_("Reporting periods opened: %(count)s.") % {"count": opened})
