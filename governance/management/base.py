"""The base of the platform's management commands: a help text that is translated (a lazy string)."""

from django.core.management.base import BaseCommand


class TranslatedCommand(BaseCommand):
    """A BaseCommand whose `help` may be `gettext_lazy(...)`: argparse needs a plain string for the description,
    so it is rendered in the active language when the parser is built (`--help` crashed on the lazy one)."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
