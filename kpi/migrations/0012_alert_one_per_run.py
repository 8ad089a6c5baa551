from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from the data migration before it: PostgreSQL alters no table with deletions still pending."""

    dependencies = [
        ("kpi", "0011_alerts_once_per_run"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                fields=("cluster", "kpi", "scope", "link", "opened_period"),
                name="alert_one_per_kpi_link_and_first_month",
            ),
        ),
    ]
