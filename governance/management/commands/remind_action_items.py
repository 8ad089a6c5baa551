from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from governance.services import action_item_reminders, action_items_overdue_notify


class Command(BaseCommand):
    help = (
        "E-mail the owners of action items that are overdue or due within a few days, and tell the owners of those "
        "overdue in the app (the daily job)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days-ahead", type=int, default=3)

    def handle(self, *args, days_ahead: int, **options):
        action_items_overdue_notify()
        sent = action_item_reminders(days_ahead=days_ahead)
        self.stdout.write(_("Reminders sent: %(count)s") % {"count": sent})
