import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm


class Command(BaseCommand):
    help = ("Judge the forecast for every active booking starting within the lookahead, put conflicts on hold "
            "and release cleared ones. Safe to run twice.")

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None,
                            help="Look this many hours ahead (default WEATHER_LOOKAHEAD_HOURS).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Judge and print, change nothing and notify nobody.")

    def handle(self, *args, **options):
        from weather.jobs import run_monitor

        bar = tqdm(unit="booking", desc="weather", file=sys.stdout) if sys.stdout.isatty() else None
        try:
            summary = run_monitor(hours=options["hours"], dry_run=options["dry_run"],
                                  progress=bar.update if bar else None)
        finally:
            if bar:
                bar.close()
        if summary.get("skipped"):
            self.stdout.write(self.style.WARNING(f"Skipped: {summary['reason']}."))
            return
        for verdict in summary.get("verdicts", ()):
            line = f"booking {verdict['booking']}: {verdict['status']}"
            if verdict["reasons"]:
                line += " - " + "; ".join(verdict["reasons"])
            self.stdout.write(line)
        rate = summary["provider_success_rate"]
        self.stdout.write(self.style.SUCCESS(
            f"{'Dry run: ' if summary['dry_run'] else ''}{summary['bookings']} bookings at "
            f"{summary['locations']} locations in {summary['seconds']} s: {summary['ok']} ok, "
            f"{summary['marginal']} marginal, {summary['conflict']} conflict, {summary['unknown']} unknown; "
            f"{summary['held']} put on hold, {summary['released']} released; providers "
            f"{'n/a' if rate is None else f'{rate:.0%}'} answered"
            + (f"; {summary['errors']} errors" if summary["errors"] else "") + "."
        ))
