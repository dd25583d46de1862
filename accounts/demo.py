"""The demo school's people. Idempotent: running it again finds the same accounts."""

from accounts.models import Role, TrainingLevel, User

DEMO_PASSWORD = "fly-safe-2026"

PEOPLE = [
    ("ops@demo.flightschedule.pro", "Olivia", "Ops", Role.ADMIN, ""),
    ("cfi.rivera@demo.flightschedule.pro", "Marco", "Rivera", Role.INSTRUCTOR, ""),
    ("cfi.chen@demo.flightschedule.pro", "Grace", "Chen", Role.INSTRUCTOR, ""),
    ("cfi.okafor@demo.flightschedule.pro", "Daniel", "Okafor", Role.INSTRUCTOR, ""),
    ("student.ava@demo.flightschedule.pro", "Ava", "Student", Role.STUDENT, TrainingLevel.STUDENT_PILOT),
    ("student.ben@demo.flightschedule.pro", "Ben", "Private", Role.STUDENT, TrainingLevel.PRIVATE_PILOT),
    ("student.cleo@demo.flightschedule.pro", "Cleo", "Instrument", Role.STUDENT, TrainingLevel.INSTRUMENT_RATED),
    ("student.dev@demo.flightschedule.pro", "Dev", "Student", Role.STUDENT, TrainingLevel.STUDENT_PILOT),
]


def seed_people(*, time_zone: str) -> list[User]:
    people = []
    for email, first, last, role, level in PEOPLE:
        user, created = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first, "last_name": last, "role": role, "training_level": level,
                      "time_zone": time_zone, "is_superuser": role == Role.ADMIN},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        people.append(user)
    return people


def seed_large_people(*, students: int, instructors: int, time_zone: str) -> tuple[list[User], list[User]]:
    """Many students and instructors for load tests, created in bulk with one shared password hash."""
    template = User(email="template@example.com")
    template.set_password(DEMO_PASSWORD)
    levels = [TrainingLevel.STUDENT_PILOT, TrainingLevel.PRIVATE_PILOT, TrainingLevel.INSTRUMENT_RATED]
    wanted = [
        User(email=f"load.cfi{i:03d}@demo.flightschedule.pro", first_name="Instructor", last_name=f"{i:03d}",
             role=Role.INSTRUCTOR, training_level="", time_zone=time_zone, password=template.password)
        for i in range(instructors)
    ] + [
        User(email=f"load.student{i:04d}@demo.flightschedule.pro", first_name="Student", last_name=f"{i:04d}",
             role=Role.STUDENT, training_level=levels[i % 3], time_zone=time_zone, password=template.password)
        for i in range(students)
    ]
    User.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=500)
    emails = [u.email for u in wanted]
    users = {u.email: u for u in User.objects.filter(email__in=emails)}
    return ([users[u.email] for u in wanted if u.role == Role.INSTRUCTOR],
            [users[u.email] for u in wanted if u.role == Role.STUDENT])
