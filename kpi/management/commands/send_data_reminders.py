"""`manage.py send_data_reminders`: what the daily reminder task does, by hand."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.management.base import TranslatedCommand
from kpi import services


class Command(TranslatedCommand):
    help = gettext_lazy(
        "E-mail enterprises whose monthly figures are missing (days before and on the deadline) and the office "
        "(the day after it)."
    )

    def handle(self, *args, **options):
        self.stdout.write(_("Reminders sent: %(count)s.") % {"count": services.data_reminders()})
