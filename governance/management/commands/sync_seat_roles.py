from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from governance.services import seat_roles_sync_all


class Command(BaseCommand):
    help = "Give and take the cluster roles of seats in bodies that started or ended (the daily job)."

    def handle(self, *args, **options):
        synced = seat_roles_sync_all()
        self.stdout.write(_("People whose roles were checked: %(count)s") % {"count": synced})
