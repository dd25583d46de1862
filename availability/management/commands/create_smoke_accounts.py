from django.core.management.base import BaseCommand

from availability.smoke import smoke_accounts_ensure


class Command(BaseCommand):
    help = ("Create the smoke test's own student and instructor (email off, the instructor available all week) "
            "that `make smoke` books for. Safe to run again.")

    def handle(self, *args, **options):
        result = smoke_accounts_ensure()
        self.stdout.write(f"smoke student {result['student'].email}, instructor {result['instructor'].email}: "
                          f"{result['created']} accounts and {result['windows']} weekly windows created; "
                          "email notifications off for both.")
