"""Every management command explains itself with --help, in the active language (its help is a lazy string)."""

import pytest
from django.core.management import get_commands, load_command_class
from django.utils import translation

OURS = [name for name, app in get_commands().items() if app in ("governance", "kpi", "portfolio")]


@pytest.mark.parametrize("name", sorted(OURS))
def test_the_help_of_every_command_renders(name):
    command = load_command_class(get_commands()[name], name)
    with translation.override("ru"):
        text = command.create_parser("manage.py", name).format_help()
    assert name in text and len(text) > 80
