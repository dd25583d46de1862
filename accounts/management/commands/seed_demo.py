from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, seed_large_people, seed_people


class Command(BaseCommand):
    help = ("Load the demo school (idempotent). With --students/--instructors/--aircraft/--days, "
            "also build a large school for load tests.")

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=0)
        parser.add_argument("--instructors", type=int, default=0)
        parser.add_argument("--aircraft", type=int, default=0)
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, **options):
        tz = settings.SCHOOL_TIME_ZONE
        with transaction.atomic():
            people = seed_people(time_zone=tz)
            if options["students"] or options["instructors"]:
                seed_large_people(students=options["students"], instructors=options["instructors"], time_zone=tz)
        self.stdout.write(self.style.SUCCESS("Demo school ready. Sign in with any of these (password "
                                             f"'{DEMO_PASSWORD}'):"))
        for user in people:
            level = f", {user.get_training_level_display()}" if user.training_level else ""
            self.stdout.write(f"  {user.get_role_display():<17} {user.email}{level}")
