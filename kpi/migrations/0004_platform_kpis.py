from django.db import migrations


def sync(apps, schema_editor):
    from kpi.catalogue import kpi_catalogue_sync

    kpi_catalogue_sync(apps.get_model("kpi", "DataElement"), apps.get_model("kpi", "Kpi"))


class Migration(migrations.Migration):
    dependencies = [("kpi", "0003_kpi_values_alerts")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
