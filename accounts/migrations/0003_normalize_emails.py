import unicodedata

from django.db import migrations


def _normal(value: str) -> str:
    # Kept here as it stood when written, so this migration means the same thing forever.
    text = unicodedata.normalize("NFKC", (value or "").strip())
    return unicodedata.normalize("NFKC", text.casefold())


def normalize_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set(User.objects.values_list("email", flat=True))
    for user in User.objects.order_by("pk").only("pk", "email"):
        normal = _normal(user.email)
        if normal == user.email:
            continue
        if normal in taken:
            # Two accounts that are one address in normal form: neither is renamed onto the other; the later
            # one keeps its stored form (and can no longer sign in by it) until staff merge or rename it.
            continue
        taken.discard(user.email)
        taken.add(normal)
        User.objects.filter(pk=user.pk).update(email=normal)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_tokens_valid_after")]

    operations = [migrations.RunPython(normalize_emails, migrations.RunPython.noop)]
