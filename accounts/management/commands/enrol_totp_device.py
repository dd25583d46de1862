import segno
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User, normalize_email_address
from accounts.otp import totp_device_enrol
from config.exceptions import ApplicationError


class Command(BaseCommand):
    help = ("Enrol a time-based one-time password device for an operations staff account and print the "
            "otpauth:// link (and a QR code on a terminal) to scan with an authenticator app.")

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="authenticator", help="label shown in the admin login")
        parser.add_argument("--replace", action="store_true", help="remove this account's other devices first")

    def handle(self, *args, email, name, replace, **options):
        user = User.objects.filter(email=normalize_email_address(email)).first()
        if user is None:
            raise CommandError(f"No account with the email {email}.")
        try:
            device = totp_device_enrol(user=user, name=name, replace=replace)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"TOTP device '{device.name}' enrolled for {user.email}."))
        self.stdout.write("Scan this link with an authenticator app, then sign in at /admin/ with the 6-digit code:")
        self.stdout.write(device.config_url)
        if self.stdout.isatty():
            segno.make(device.config_url, error="m").terminal(out=self.stdout._out, compact=True)
