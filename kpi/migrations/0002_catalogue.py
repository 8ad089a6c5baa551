"""Once, the catalogue of data elements and KPIs was written here. It is written after every `migrate` now, by
the post_migrate handler `kpi.signals.catalogue_sync` (from `kpi/catalogue.py`, as the code stands): a migration
imports no live code, so a later change of the catalogue cannot change what this one does."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
