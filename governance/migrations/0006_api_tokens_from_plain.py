"""Tokens issued before tokens were hashed keep working: each stored plain token (Django REST framework's
authtoken table, where it exists) becomes a knox token with its digest, then the plain one is deleted."""

import datetime

from django.db import migrations


def carry_over(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    from django.utils import timezone
    from django.utils.crypto import salted_hmac
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    def password_fingerprint(user) -> str:
        # Frozen copy of governance.models.accounts.password_fingerprint as it was: a migration imports no live code.
        return salted_hmac("cluster_platform.api_token", user.password or "", algorithm="sha256").hexdigest()

    ApiToken = apps.get_model("governance", "ApiToken")
    User = apps.get_model("auth", "User")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        plain = cursor.fetchall()
    users = User.objects.in_bulk([user_id for _key, user_id in plain])
    expiry = timezone.now() + datetime.timedelta(days=30)
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                digest=hash_token(key),
                token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
                user_id=user_id,
                expiry=expiry,
                password_fingerprint=password_fingerprint(users[user_id]),
            )
            for key, user_id in plain
            if user_id in users
        ],
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("governance", "0005_api_tokens")]

    operations = [migrations.RunPython(carry_over, migrations.RunPython.noop)]
