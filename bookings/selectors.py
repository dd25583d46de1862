"""Reads for airports, aircraft and bookings, scoped by the person asking."""

import functools
from collections.abc import Mapping
from datetime import datetime

import django_filters
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery

from bookings.models import (
    ACTIVE_STATUSES,
    Aircraft,
    AircraftStatus,
    Airport,
    Booking,
    BookingStatus,
    LessonType,
    Squawk,
    StandbyRequest,
    StandbyStatus,
)
from config.exceptions import ApplicationError, NotFoundError
from config.sql import id_set

# --- airports and aircraft ---------------------------------------------------------------------

def clean_text_filter(value, field: str) -> str:
    """A free-text query value, refused with a 400 when PostgreSQL could not even compare it (a NUL byte)."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ApplicationError("Filters cannot contain NUL characters.", code="invalid",
                               fields={field: ["NUL characters are not allowed."]})
    return value


def airport_list(*, search: str | None = None):
    """Stored airports matching `search` (see `services.airport_learn_from_search` for codes named first)."""
    airports = Airport.objects.all()
    search = clean_text_filter(search, "search")
    if not search:
        return airports
    return airports.filter(Q(icao__iexact=search) | Q(name__icontains=search) | Q(city__icontains=search))


def aircraft_list(*, filters: dict | None = None):
    aircraft = Aircraft.objects.select_related("home_airport")
    filters = {key: clean_text_filter((filters or {}).get(key), key) for key in ("status", "model", "home_airport")}
    if filters["status"]:
        aircraft = aircraft.filter(status=filters["status"])
    if filters["model"]:
        aircraft = aircraft.filter(model__iexact=filters["model"])
    if filters["home_airport"]:
        aircraft = aircraft.filter(home_airport__icao__iexact=filters["home_airport"])
    return aircraft


def aircraft_get(*, aircraft_id) -> Aircraft:
    found = aircraft_list().filter(pk=aircraft_id).first()
    if found is None:
        raise NotFoundError("No such aircraft.")
    return found


def squawk_list(*, aircraft: Aircraft):
    """The aircraft's squawks, open ones first, newest first within each."""
    return (Squawk.objects.filter(aircraft=aircraft).select_related("opened_by", "cleared_by")
            .order_by(F("cleared_at").desc(nulls_first=True), "-opened_at", "-id"))


def squawk_get(*, squawk_id) -> Squawk:
    found = Squawk.objects.select_related("aircraft").filter(pk=squawk_id).first()
    if found is None:
        raise NotFoundError("No such squawk.")
    return found


def aircraft_in_maintenance(aircraft_ids):
    """The ids among `aircraft_ids` of aircraft in maintenance, unevaluated: a subquery of the caller's query."""
    return Aircraft.objects.filter(pk__in=list(aircraft_ids), status=AircraftStatus.MAINTENANCE).values("pk")


# --- bookings ----------------------------------------------------------------------------------

class BookingFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    lesson_type = django_filters.ChoiceFilter(choices=LessonType.choices)
    start_after = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = django_filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")
    student = django_filters.NumberFilter(field_name="student_id")
    instructor = django_filters.NumberFilter(field_name="instructor_id")
    aircraft = django_filters.NumberFilter(field_name="aircraft_id")

    class Meta:
        model = Booking
        fields = ["status", "lesson_type", "start_after", "start_before", "student", "instructor", "aircraft"]


def visible_bookings(*, actor, bookings=None):
    """Students see their own bookings, instructors those they teach, admins all (of `bookings`, by default
    every booking)."""
    bookings = Booking.objects.all() if bookings is None else bookings.all()
    if actor.is_admin:
        return bookings
    if actor.is_instructor:
        return bookings.filter(instructor=actor)
    return bookings.filter(student=actor)


def filter_bookings(bookings, filters):
    """`bookings` narrowed by the list filters in `filters` (a query dict); 400 when one is not valid."""
    # Building the filter form costs more than the whole page query: skip it when no filter was given
    # (a plain `?page=2&page_size=50`), which is what the form would conclude anyway.
    if not filters or not any(name in filters for name in BookingFilter.base_filters):
        return bookings
    filterset = BookingFilter(filters, queryset=bookings)
    if not filterset.is_valid():
        fields = {name: [str(m) for m in messages] for name, messages in filterset.errors.items()}
        raise ApplicationError("Some filters are not valid.", code="invalid", fields=fields)
    return filterset.qs


def booking_list(*, actor, filters=None):
    """Bookings the actor may see, joined for the serializer so a page costs the same whatever its size."""
    bookings = visible_bookings(actor=actor).select_related(
        "student", "instructor", "aircraft", "departure_airport", "destination_airport",
    ).annotate(replacement_id=F("rescheduled_to__id")).order_by("start", "id")
    return filter_bookings(bookings, filters)


BOOKING_ROW_FIELDS = ("id", "student_id", "instructor_id", "aircraft_id", "start", "end", "lesson_type", "status",
                      "weather_status", "rescheduled_from_id", "created_at", "updated_at", "hold_reason",
                      "cancel_reason_code", "cancel_reason", "late_cancellation")


@functools.cache
def _booking_rows_of_everyone():
    # Resolving the subqueries is most of the cost of building this queryset: built once per process, then
    # each request clones it and adds its scope and filters.
    def icao(column):
        return Subquery(Airport.objects.filter(pk=OuterRef(column)).order_by().values("icao"))

    replacement = Booking.objects.filter(rescheduled_from=OuterRef("pk")).order_by().values("pk")
    return Booking.objects.order_by("start", "id").values(
        *BOOKING_ROW_FIELDS, departure_icao=icao("departure_airport_id"),
        destination_icao=icao("destination_airport_id"), replacement_id=Subquery(replacement),
    )


def booking_rows(*, actor, filters=None):
    """What `booking_list` holds, as plain rows of exactly what the bookings list shows: ids for people and
    aircraft, the airports' ICAO codes (`departure_icao`, `destination_icao`) and the replacement's id
    (`replacement_id`).

    The ICAO codes and the replacement are correlated subqueries rather than joins: PostgreSQL evaluates them
    only for the rows of the page, after sorting and cutting it, and counting the whole list (the paginator's
    count) reads the bookings table alone."""
    return filter_bookings(visible_bookings(actor=actor, bookings=_booking_rows_of_everyone()), filters)


def _utc_iso(column: str) -> str:
    """SQL for a timestamp written as DRF writes it in UTC: ISO 8601, microseconds only when there are any,
    "Z" for the offset (NULL stays NULL)."""
    local = f"({column} AT TIME ZONE 'UTC')"
    return (f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {column}) = {column} "
            f"THEN '' ELSE to_char({local}, '.US') END || 'Z'")


# The bookings list's body keys, in its order, from the columns of booking_rows.
_PAGE_JSON_COLUMNS = (
    ('p."id"', "id"), ('p."student_id"', "student"), ('p."instructor_id"', "instructor"),
    ('p."aircraft_id"', "aircraft"),
    ('p."departure_icao"', "departure_airport"), ('p."destination_icao"', "destination_airport"),
    (_utc_iso('p."start"'), "start"), (_utc_iso('p."end"'), "end"), ('p."lesson_type"', "lesson_type"),
    ('p."status"', "status"), ('p."weather_status"', "weather_status"), ('p."rescheduled_from_id"', "rescheduled_from"),
    ('p."replacement_id"', "rescheduled_to"), (_utc_iso('p."created_at"'), "created_at"),
    (_utc_iso('p."updated_at"'), "updated_at"), ('p."hold_reason"', "hold_reason"),
    ('p."cancel_reason_code"', "cancel_reason_code"), ('p."cancel_reason"', "cancel_reason"),
    ('p."late_cancellation"', "late_cancellation"),
)


def booking_page_json(*, actor, filters=None, offset: int, limit: int) -> tuple[int, str]:
    """One page of `booking_rows` as the JSON array the bookings list answers (times in UTC), and the exact count
    of the whole list, in one statement: PostgreSQL counts the scope once (an uncorrelated subquery) and writes
    each row's JSON, so no timestamp is parsed into Python only to be written back out as text. Same scoping
    and filters as `booking_rows`, whose queryset this wraps."""
    rows = booking_rows(actor=actor, filters=filters)
    page_sql, page_params = rows[offset:offset + limit].query.sql_with_params()
    count_sql, count_params = rows.order_by().values("id").query.sql_with_params()
    fields = ", ".join(f'{expression} AS "{key}"' for expression, key in _PAGE_JSON_COLUMNS)
    # Only Django's compiled SQL and this module's constants are spliced in; every value travels as a parameter.
    sql = (f"SELECT (SELECT count(*) FROM ({count_sql}) AS scope), "  # noqa: S608
           f"(SELECT '[' || coalesce(string_agg(row_to_json(j)::text, ',' ORDER BY p.\"start\", p.\"id\"), '') || ']' "
           f"FROM ({page_sql}) AS p CROSS JOIN LATERAL (SELECT {fields}) AS j)")
    with connection.cursor() as cursor:
        cursor.execute(sql, (*count_params, *page_params))
        count, page = cursor.fetchone()
    return count, page


def booking_get(*, actor, booking_id) -> Booking:
    """One booking the actor may see; another person's booking is simply not found."""
    try:
        return booking_list(actor=actor).get(pk=booking_id)
    except (Booking.DoesNotExist, ValueError, TypeError):
        raise NotFoundError("No such booking.")


def bookings_for_weather_monitor(*, start: datetime, end: datetime):
    """Active bookings starting in [start, end) with everything the weather check reads joined."""
    return (Booking.objects.filter(status__in=ACTIVE_STATUSES, start__gte=start, start__lt=end)
            .select_related("student", "instructor", "aircraft", "departure_airport", "destination_airport")
            .order_by("start", "id"))


def bookings_with_parties(bookings, *, airports: Mapping[int, Airport] | None = None) -> list[Booking]:
    """The bookings of a queryset with their student, instructor, aircraft and airports set, each of these read
    once and shared by every booking that has it: one statement for the bookings, one for their people, one for
    their aircraft and one for their airports (none when `airports`, by id, holds them all already).

    A join builds a copy of every party on every row: for the weather monitor's 10,000 bookings 50,000 model
    instances, 0.54 s of CPU against 0.30 s here. Shared, they are for reading: a write goes through a service
    that reads its own rows.
    """
    field = Booking._meta.get_field
    student, instructor, aircraft = field("student"), field("instructor"), field("aircraft")
    departure, destination = field("departure_airport"), field("destination_airport")
    rows = list(bookings.select_related(None))
    if not rows:
        return rows
    people = {b.student_id for b in rows} | {b.instructor_id for b in rows if b.instructor_id is not None}
    users = {user.pk: user for user in student.related_model.objects.filter(pk__in=id_set(people))}
    planes = {plane.pk: plane for plane in Aircraft.objects.filter(pk__in=id_set({b.aircraft_id for b in rows}))}
    places = dict(airports or {})
    missing = ({b.departure_airport_id for b in rows} | {b.destination_airport_id for b in rows}) - places.keys()
    if missing:
        places.update((airport.pk, airport) for airport in Airport.objects.filter(pk__in=id_set(missing)))
    for booking in rows:
        # What select_related leaves on each instance: the descriptors read these caches instead of querying.
        student.set_cached_value(booking, users[booking.student_id])
        instructor.set_cached_value(booking, users.get(booking.instructor_id))
        aircraft.set_cached_value(booking, planes[booking.aircraft_id])
        departure.set_cached_value(booking, places[booking.departure_airport_id])
        destination.set_cached_value(booking, places[booking.destination_airport_id])
    return rows


def flight_routes(bookings) -> list[tuple[Airport, Airport, int]]:
    """The distinct (departure, destination) airports of a queryset of bookings, each with how many of them fly
    it, ordered by the airports' ids: one statement, whatever the number of bookings. An airport on several
    routes is one object."""
    fields = [field.attname for field in Airport._meta.concrete_fields]
    columns = [f"departure_airport__{name}" for name in fields] + [f"destination_airport__{name}" for name in fields]
    rows = (bookings.order_by().values_list(*columns).annotate(bookings=Count("id"))
            .order_by("departure_airport__id", "destination_airport__id"))
    airports: dict[int, Airport] = {}

    def airport(values) -> Airport:
        found = airports.get(values[0])
        if found is None:
            found = airports[values[0]] = Airport.from_db(bookings.db, fields, values)
        return found

    width = len(fields)
    return [(airport(row[:width]), airport(row[width:2 * width]), row[-1]) for row in rows]


def booking_for_weather_monitor(*, booking_id: int) -> Booking | None:
    """One active booking with what the weather check reads joined, or None when it is no longer active."""
    return (Booking.objects.filter(pk=booking_id, status__in=ACTIVE_STATUSES)
            .select_related("student", "instructor", "aircraft", "departure_airport", "destination_airport").first())


def active_bookings_for_parties(*, start: datetime, end: datetime, instructor_ids=(), aircraft_ids=(),
                                student_ids=(), exclude_booking_ids=()):
    """Active bookings overlapping [start, end) that hold any of the given parties (one query)."""
    condition = Q()
    if instructor_ids:
        condition |= Q(instructor_id__in=list(instructor_ids))
    if aircraft_ids:
        condition |= Q(aircraft_id__in=list(aircraft_ids))
    if student_ids:
        condition |= Q(student_id__in=list(student_ids))
    if not condition:
        return Booking.objects.none()
    bookings = Booking.objects.filter(condition, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start)
    if exclude_booking_ids:
        bookings = bookings.exclude(pk__in=list(exclude_booking_ids))
    return bookings.only("id", "student_id", "instructor_id", "aircraft_id", "start", "end")


def overlapping_booking_ids(*, start: datetime, end: datetime, student_id: int, aircraft_id: int,
                            instructor_id: int | None = None, exclude_booking_ids=()) -> list[int]:
    """The ids, in order, of the active bookings overlapping [start, end) that hold this student, instructor or
    aircraft: `active_bookings_for_parties` for one booking's parties, as the plain statement every booking
    write runs (its SQL built once per shape; the ORM compiled the same query anew for each write)."""
    parties = [("student_id", student_id), ("aircraft_id", aircraft_id)]
    if instructor_id:
        parties.append(("instructor_id", instructor_id))
    excluded = list(exclude_booking_ids)
    sql = _overlap_statement(tuple(name for name, _ in parties), len(excluded))
    with connection.cursor() as cursor:
        cursor.execute(sql, [*map(str, ACTIVE_STATUSES), end, start, *(value for _, value in parties), *excluded])
        return [pk for (pk,) in cursor.fetchall()]


@functools.cache
def _overlap_statement(party_columns: tuple[str, ...], excluded: int) -> str:
    quote, meta = connection.ops.quote_name, Booking._meta
    column = {name: quote(meta.get_field(name).column) for name in ("id", "status", "start", "end")}
    placeholders = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    either = " OR ".join(f"{quote(name)} = %s" for name in party_columns)
    sql = (f"SELECT {column['id']} FROM {quote(meta.db_table)} WHERE {column['status']} IN ({placeholders}) "  # noqa: S608
           f"AND {column['start']} < %s AND {column['end']} > %s AND ({either})")
    if excluded:
        sql += f" AND {column['id']} NOT IN ({', '.join(['%s'] * excluded)})"
    return sql + f" ORDER BY {column['id']}"


def calendar_bookings(*, user, since: datetime):
    """What a person's calendar feed shows: the bookings they may see from `since` on, cancelled ones included
    so calendar apps take them off."""
    return booking_list(actor=user).filter(end__gte=since)


# --- standby -----------------------------------------------------------------------------------

def standby_list(*, actor, status: str | None = None):
    """Standby requests the actor may see: a student's own, an instructor's (named as instructor), staff all;
    the latest slot first."""
    requests = StandbyRequest.objects.select_related("student", "instructor", "aircraft", "departure_airport",
                                                     "destination_airport", "booking")
    if not actor.is_admin:
        requests = requests.filter(Q(student=actor) | Q(instructor=actor)) if actor.is_instructor else (
            requests.filter(student=actor))
    if status:
        if status not in StandbyStatus.values:
            raise ApplicationError("Unknown standby status.", code="invalid",
                                   fields={"status": [f"Choose one of: {', '.join(StandbyStatus.values)}."]})
        requests = requests.filter(status=status)
    return requests.order_by("-start", "-id")


def standby_get(*, actor, standby_id) -> StandbyRequest:
    try:
        return standby_list(actor=actor).get(pk=int(standby_id))
    except (StandbyRequest.DoesNotExist, TypeError, ValueError):
        raise NotFoundError("No such standby request.")


def standby_waiting_for(*, booking: Booking, now: datetime):
    """The waiting standby requests a freed `booking` could satisfy (its aircraft, or any of its model, at an
    overlapping time still to come), oldest first."""
    return (StandbyRequest.objects
            .filter(status=StandbyStatus.WAITING, start__gt=now, start__lt=booking.end, end__gt=booking.start)
            .filter(Q(aircraft_id=booking.aircraft_id)
                    | Q(aircraft__isnull=True, aircraft_model=booking.aircraft.model))
            .select_related("student", "instructor", "aircraft", "departure_airport", "destination_airport")
            .order_by("created_at", "id"))
