import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

LEVELS = ("student_pilot", "private_pilot", "instrument_rated")


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = ("Decode raw METAR/TAF text (or lines of the aviation weather API's JSON items) from the arguments or "
            "standard input, and print per hour the values, the flight category and the verdict with its "
            "reasons at each training level, judged exactly as the weather monitor judges them.")

    def add_arguments(self, parser):
        parser.add_argument("reports", nargs="*", metavar="REPORT",
                            help="A raw METAR or TAF, or a JSON item; none: read standard input.")
        parser.add_argument("--level", choices=LEVELS, help="Judge at this training level only.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object per hour.")

    def handle(self, *args, **options):
        from weather.decoding import DecodeError, describe, judge_hours, parse_report, split_reports
        from weather.judging import Minimums

        if options["reports"]:
            texts = options["reports"]
        else:
            stdin = options.get("stdin") or sys.stdin
            texts = split_reports(stdin)
        if not texts:
            raise CommandError("No report given: pass METAR/TAF text as arguments or on standard input.")
        levels = [options["level"]] if options["level"] else list(LEVELS)
        try:
            from weather.selectors import minimums_by_level

            table = minimums_by_level()
        except DatabaseError:
            # The contract's defaults still say what a report means; the admins' table is only a refinement.
            self.stderr.write("Minimums table unreachable: judging by the default minimums.")
            table = {level: Minimums.default(level) for level in LEVELS}
        minimums = [table[level] for level in levels]
        now = timezone.now()
        failures = hours = 0
        for text in texts:
            try:
                reports = parse_report(text, now=now)
                rows = [row for report in reports for row in judge_hours(report, minimums)]
            except DecodeError as exc:
                failures += 1
                self.stderr.write(f"Skipped: {exc}")
                continue
            hours += len(rows)
            if options["json"]:
                for row in rows:
                    self.stdout.write(json.dumps(row, ensure_ascii=False))
                continue
            for report in reports:
                self.stdout.write(f"{report.station} {report.kind}: {report.raw}")
            if not rows:
                self.stdout.write("  no hours: a NIL or cancelled report says nothing about the weather")
            for row in rows:
                self.stdout.write(f"  {row['hour'][:16].replace('T', ' ')}Z  {describe(row)}")
                for level, verdict in row["verdicts"].items():
                    reasons = "; ".join(verdict["reasons"])
                    self.stdout.write(f"    {level:<17} {verdict['status']:<9}{' ' + reasons if reasons else ''}")
        if not options["json"]:
            self.stdout.write(f"{len(texts) - failures} reports decoded, {hours} hours"
                              + (f", {failures} skipped" if failures else "") + ".")
        if failures and failures == len(texts):
            raise CommandError("No report could be read.")
