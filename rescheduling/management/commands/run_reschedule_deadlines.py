import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm


class Command(BaseCommand):
    help = "Expire unanswered reschedule requests, send reminders 2 h before expiry, cancel flights still held."

    def handle(self, *args, **options):
        from rescheduling.jobs import run_deadlines

        show_bar = sys.stdout.isatty()
        with tqdm(desc="requests and held flights", unit="item", disable=not show_bar) as bar:
            summary = run_deadlines(progress=bar.update)
        self.stdout.write(
            f"Reschedule deadlines: {summary['expired']} expired, {summary['reminded']} reminded, "
            f"{summary['cancelled']} held flights cancelled."
        )
