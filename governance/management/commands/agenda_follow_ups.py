from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from governance.services import agenda_follow_ups_for_all


class Command(BaseCommand):
    help = "Put every body's open and overdue action items on the agenda of its next meeting (the hourly job)."

    def handle(self, *args, **options):
        added = agenda_follow_ups_for_all()
        self.stdout.write(_("Follow-ups added to agendas: %(count)s") % {"count": added})
