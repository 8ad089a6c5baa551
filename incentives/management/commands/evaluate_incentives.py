from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from governance.models import Cluster
from incentives import services


class Command(BaseCommand):
    help = (
        "Evaluate incentives: a quarter of one cluster (--cluster, --quarter YYYY-Qn), or, without them, every "
        "cluster's latest final quarter not evaluated yet (the daily job)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cluster", type=int, help="The cluster's id.")
        parser.add_argument("--quarter", help="The quarter, as YYYY-Qn.")

    def handle(self, *args, cluster=None, quarter=None, **options):
        if (cluster is None) != (quarter is None):
            raise CommandError(_("Give both --cluster and --quarter, or neither."))
        if cluster is None:
            done = services.evaluate_due()
            self.stdout.write(_("Quarters evaluated: %(list)s") % {"list": ", ".join(done) or "—"})
            return
        found = Cluster.objects.filter(pk=cluster).first()
        if found is None:
            raise CommandError(_("No cluster has the id %(id)s.") % {"id": cluster})
        try:
            evaluations = services.evaluate_quarter(cluster=found, quarter=quarter)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            _("%(quarter)s evaluated: %(count)s package evaluations.") % {"quarter": quarter, "count": len(evaluations)}
        )
