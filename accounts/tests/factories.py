import factory

from accounts.models import Role, TrainingLevel, User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.STUDENT
    training_level = TrainingLevel.PRIVATE_PILOT
    time_zone = "UTC"

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])


class StudentFactory(UserFactory):
    role = Role.STUDENT
    training_level = TrainingLevel.PRIVATE_PILOT


class InstructorFactory(UserFactory):
    role = Role.INSTRUCTOR
    training_level = ""


class AdminFactory(UserFactory):
    role = Role.ADMIN
    training_level = ""
