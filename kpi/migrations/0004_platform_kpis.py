"""Once, the platform KPIs were added to the catalogue here; `kpi.signals.catalogue_sync` writes the catalogue
after every `migrate` now (see 0002)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("kpi", "0003_kpi_values_alerts")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
