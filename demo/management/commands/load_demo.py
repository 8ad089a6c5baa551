"""`manage.py load_demo`: the demo cotton–textile cluster, loaded once; prints the demo logins."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from demo.governance import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from governance.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Load the demo cluster (a cotton–textile cluster in Bukhara region) unless it is already loaded, "
        "and print the demo logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help=gettext_lazy("Print nothing."))

    def handle(self, *args, quiet=False, **options):
        result = load_demo()
        if quiet:
            return
        name = result.cluster.name
        if result.created:
            counts = result.counts
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Demo cluster “%(name)s” loaded: %(enterprises)s enterprises, %(people)s people, "
                        "%(bodies)s bodies, %(regulations)s regulations, %(meetings)s meetings, "
                        "%(decisions)s decisions, %(action_items)s action items (%(overdue)s overdue)."
                    )
                    % {"name": name, **counts}
                )
            )
        else:
            self.stdout.write(_("Demo cluster “%(name)s” is already loaded: nothing added.") % {"name": name})
        kpi = result.extensions.get("kpi", {})
        if kpi.get("values"):
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Monthly figures loaded: %(periods)s months, %(values)s values, %(submissions)s submissions "
                        "(%(late)s late, %(missing)s missing)."
                    )
                    % kpi
                )
            )
        portfolio = result.extensions.get("portfolio", {})
        if portfolio.get("projects"):
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Portfolio loaded: %(projects)s joint projects, %(contracts)s cooperation contracts, "
                        "%(services)s shared services, %(requests)s service requests."
                    )
                    % portfolio
                )
            )
        incentives = result.extensions.get("incentives", {})
        if incentives.get("packages"):
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Incentives loaded: %(packages)s packages, %(evaluations)s evaluations, %(awards)s awards, "
                        "%(reviews)s conditions reviews."
                    )
                    % incentives
                )
            )
        if result.accounts_created:
            self.stdout.write(
                _("Demo accounts recreated: %(usernames)s.") % {"usernames": ", ".join(result.accounts_created)}
            )
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(_("Demo logins (every password is %(password)s):") % {"password": DEMO_PASSWORD})
        )
        rows = [(login.username, str(login.role), str(login.can_do)) for login in DEMO_LOGINS]
        user_width = max(len(username) for username, _role, _can_do in rows)
        role_width = max(len(role) for _username, role, _can_do in rows)
        for username, role, can_do in rows:
            self.stdout.write(f"  {username:<{user_width}}  {role:<{role_width}}  {can_do}")
        self.stdout.write(
            _(
                "Every other person of the demo cluster signs in with their username (for example %(example)s) "
                "and the same password."
            )
            % {"example": "f.sodiqov"}
        )
