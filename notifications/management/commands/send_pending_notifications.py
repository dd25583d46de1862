import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from notifications.jobs import run_delivery


class Command(BaseCommand):
    help = ("Send the emails that are due and retry failed ones with backoff. "
            "--now ignores the backoff (for operators after a mail outage).")

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Send every pending email now, ignoring backoff.")

    def handle(self, *args, **options):
        bar = None

        def progress(*, total=None, advance=0):
            nonlocal bar
            if total is not None:
                bar = tqdm(total=total, unit="email", desc="Delivering", file=sys.stderr)
            elif bar is not None:
                bar.update(advance)

        interactive = self.stdout.isatty()
        try:
            summary = run_delivery(ignore_backoff=options["now"], progress=progress if interactive else None)
        finally:
            if bar is not None:
                bar.close()
        rate = summary["delivery_rate"]
        self.stdout.write(
            f"Notifications: {summary['due']} due, {summary['sent']} sent, {summary['retrying']} to retry, "
            f"{summary['failed']} failed, {summary['skipped']} skipped, {summary['deferred']} left for the next run; "
            f"last hour's delivery rate {'n/a' if rate is None else f'{rate:.1%}'}."
        )
