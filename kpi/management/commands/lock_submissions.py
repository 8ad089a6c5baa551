"""`manage.py lock_submissions`: lock the approved submissions of months past their lock date."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.management.base import TranslatedCommand
from kpi import services


class Command(TranslatedCommand):
    help = gettext_lazy("Lock the approved submissions of the months past their lock date.")

    def handle(self, *args, **options):
        self.stdout.write(_("Submissions locked: %(count)s.") % {"count": services.submissions_lock()})
