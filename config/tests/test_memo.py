"""Work remembered by identity: once per object, never handed to another object."""

from config.memo import by_identity


def test_each_object_is_worked_out_once_and_an_equal_other_object_gets_its_own():
    made = []

    def make(value):
        made.append(value)
        return f"made {len(made)}"

    cache: dict = {}
    shared, equal = {"status": "ok"}, {"status": "ok"}
    assert by_identity(cache, shared, make) == by_identity(cache, shared, make) == "made 1"
    assert by_identity(cache, equal, make) == "made 2"
    assert made == [shared, equal]


def test_a_dead_objects_id_reused_by_a_new_one_is_not_taken_for_it():
    cache = {}
    value = {"ceiling_ft": 3000}
    cache[id(value)] = ({"ceiling_ft": 1000}, "stale")
    assert by_identity(cache, value, lambda v: "fresh") == "fresh"
