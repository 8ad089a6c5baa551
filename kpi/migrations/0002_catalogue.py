"""The catalogue of data elements and KPIs exists on every fresh install."""

from django.db import migrations


def load_catalogue(apps, schema_editor):
    from kpi.catalogue import kpi_catalogue_sync

    kpi_catalogue_sync(apps.get_model("kpi", "DataElement"), apps.get_model("kpi", "Kpi"))


class Migration(migrations.Migration):
    dependencies = [("kpi", "0001_initial")]

    operations = [migrations.RunPython(load_catalogue, migrations.RunPython.noop)]
