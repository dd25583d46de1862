from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.demo import DEMO_PASSWORD, seed_large_people, seed_people
from operations.demo import seed_school
from weather.jobs import run_monitor
from weather.providers.demo import HORIZON_HOURS


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
            large_instructors, large_students = [], []
            if options["students"] or options["instructors"]:
                large_instructors, large_students = seed_large_people(
                    students=options["students"], instructors=options["instructors"], time_zone=tz)
            school = seed_school(people=people, large_instructors=large_instructors, large_students=large_students,
                                 large_aircraft=options["aircraft"], days=options["days"])
        self.stdout.write(f"Fleet, availability and bookings: {school['patterns']} patterns and "
                          f"{school['bookings']} bookings added.")
        # One weather run now, so the demo shows weather statuses before the first scheduled run. The small
        # demo school is judged as far as the demo provider forecasts, so more states show; a large
        # load-test school keeps the configured lookahead.
        large = bool(options["students"] or options["instructors"] or options["aircraft"])
        weather = run_monitor(hours=None if large else HORIZON_HOURS)
        self.stdout.write(f"Weather checked for {weather.get('bookings', 0)} upcoming bookings: "
                          f"{weather.get('conflict', 0)} in conflict, {weather.get('marginal', 0)} marginal.")
        self.stdout.write(self.style.SUCCESS("Demo school ready. Sign in with any of these (password "
                                             f"'{DEMO_PASSWORD}'):"))
        for user in people:
            level = f", {user.get_training_level_display()}" if user.training_level else ""
            self.stdout.write(f"  {user.get_role_display():<17} {user.email}{level}")
