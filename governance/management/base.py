"""The base of the platform's management commands: a help text that is translated (a lazy string)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.management.base import BaseCommand

if TYPE_CHECKING:
    from core.typing import StrOrPromise


class TranslatedCommand(BaseCommand):
    """A BaseCommand whose `help` may be `gettext_lazy(...)`: argparse needs a plain string for the description,
    so it is rendered in the active language when the parser is built (`--help` crashed on the lazy one)."""

    # django-stubs type BaseCommand.help as str; here it may be lazy, made a str in create_parser() below.
    help: StrOrPromise  # type: ignore[assignment]

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = str(self.help)
        return super().create_parser(prog_name, subcommand, **kwargs)
