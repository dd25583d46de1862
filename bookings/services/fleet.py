"""Airports from the bundled airport database, and the fleet."""


import contextlib
import re

import airportsdata
from django.db import transaction

from audit.services import audit_record
from bookings.models import (
    Aircraft,
    AircraftStatus,
    Airport,
    validate_runway_headings,
)
from bookings.services.squawks import aircraft_ground, aircraft_return_to_service
from config.exceptions import ApplicationError, NotFoundError
from config.sql import instance_where

ICAO_PATTERN = re.compile(r"^[A-Za-z0-9]{4}$")

_airport_database = None


def _airports() -> dict:
    global _airport_database
    if _airport_database is None:
        _airport_database = airportsdata.load("ICAO")
    return _airport_database

# --- airports ----------------------------------------------------------------------------------

def airport_get_or_create(icao: str) -> Airport:
    """The airport for an ICAO code, created from the bundled airport database the first time it is named."""
    code = (icao or "").strip().upper()
    existing = instance_where(Airport, icao=code)
    if existing:
        return existing
    data = _airports().get(code)
    if data is None:
        raise ApplicationError(f"{code or 'An empty code'} is not an ICAO airport code we know.",
                               code="unknown_airport", fields={"icao": [f"Unknown ICAO code {code!r}."]})
    with transaction.atomic():
        airport, created = Airport.objects.get_or_create(icao=code, defaults={
            "name": data["name"], "city": data.get("city", ""), "country": data.get("country", ""),
            "latitude": data["lat"], "longitude": data["lon"], "elevation_ft": data.get("elevation") or 0,
            "time_zone": data["tz"],
        })
        if created:
            audit_record(action="airport.created", object_type="airport", object_id=airport.pk,
                         after={"icao": airport.icao, "name": airport.name, "time_zone": airport.time_zone})
    return airport


def airport_learn_from_search(*, search: str | None) -> None:
    """A search that is exactly an ICAO code the airport database knows adds that airport on first use."""
    code = (search or "").strip()
    if ICAO_PATTERN.match(code) and not Airport.objects.filter(icao=code.upper()).exists():
        # Not an ICAO code after all: the name search still runs.
        with contextlib.suppress(ApplicationError):
            airport_get_or_create(icao=code)


def airport_for_code(*, icao: str) -> Airport:
    """The airport for `icao`, created from the airport database on first use; NotFoundError when unknown."""
    try:
        return airport_get_or_create(icao=icao)
    except ApplicationError as exc:
        raise NotFoundError(exc.message, code="unknown_airport", fields=exc.fields)


@transaction.atomic
def airport_update(*, airport: Airport, actor, runway_headings: list[int] | None = None,
                   name: str | None = None) -> Airport:
    before = {"runway_headings": airport.runway_headings, "name": airport.name}
    if runway_headings is not None:
        try:
            validate_runway_headings(runway_headings)
        except Exception as exc:
            raise ApplicationError("Runway headings are not valid.", fields={"runway_headings": exc.messages})
        airport.runway_headings = sorted(set(runway_headings))
    if name is not None:
        airport.name = name
    airport.save()
    after = {"runway_headings": airport.runway_headings, "name": airport.name}
    if before != after:
        audit_record(action="airport.updated", object_type="airport", object_id=airport.pk, actor=actor,
                     before=before, after=after)
    return airport


# --- aircraft ----------------------------------------------------------------------------------

def _aircraft_snapshot(aircraft: Aircraft) -> dict:
    return {"tail_number": aircraft.tail_number, "model": aircraft.model,
            "home_airport": aircraft.home_airport.icao, "status": aircraft.status,
            "max_crosswind_kt": aircraft.max_crosswind_kt, "ifr_equipped": aircraft.ifr_equipped}


MAX_CROSSWIND_KT = 40  # no training aircraft demonstrates more; a larger figure is a typing error


def _clean_limits(*, max_crosswind_kt, ifr_equipped, errors: dict) -> None:
    if max_crosswind_kt is not None and (isinstance(max_crosswind_kt, bool) or not isinstance(max_crosswind_kt, int)
                                         or not 1 <= max_crosswind_kt <= MAX_CROSSWIND_KT):
        errors["max_crosswind_kt"] = [f"Whole knots from 1 to {MAX_CROSSWIND_KT}, or empty for no aircraft limit."]
    if ifr_equipped is not None and not isinstance(ifr_equipped, bool):
        errors["ifr_equipped"] = ["true or false."]


def _clean_aircraft(*, tail_number, status, exclude_pk=None) -> dict:
    errors = {}
    if tail_number is not None:
        if not tail_number.strip():
            errors["tail_number"] = ["A tail number is required."]
        elif Aircraft.objects.filter(tail_number__iexact=tail_number.strip()).exclude(pk=exclude_pk).exists():
            errors["tail_number"] = ["Another aircraft already has this tail number."]
    if status is not None and status not in AircraftStatus.values:
        errors["status"] = [f"Choose one of: {', '.join(AircraftStatus.values)}."]
    return errors


@transaction.atomic
def aircraft_create(*, actor, tail_number: str, model: str, home_airport: Airport | str,
                    status: str = AircraftStatus.AVAILABLE, max_crosswind_kt: int | None = None,
                    ifr_equipped: bool = False) -> Aircraft:
    if isinstance(home_airport, str):
        home_airport = airport_get_or_create(home_airport)
    errors = _clean_aircraft(tail_number=tail_number, status=status)
    _clean_limits(max_crosswind_kt=max_crosswind_kt, ifr_equipped=ifr_equipped, errors=errors)
    if errors:
        raise ApplicationError("The aircraft could not be added.", fields=errors)
    aircraft = Aircraft.objects.create(tail_number=tail_number.strip().upper(), model=model.strip(),
                                       home_airport=home_airport, status=status, max_crosswind_kt=max_crosswind_kt,
                                       ifr_equipped=ifr_equipped)
    audit_record(action="aircraft.created", object_type="aircraft", object_id=aircraft.pk, actor=actor,
                 after=_aircraft_snapshot(aircraft))
    return aircraft


@transaction.atomic
def aircraft_update(*, aircraft: Aircraft, actor, **changes) -> Aircraft:
    unknown = set(changes) - {"tail_number", "model", "home_airport", "status", "max_crosswind_kt", "ifr_equipped"}
    if unknown:
        raise ApplicationError("Unknown fields.", fields={name: ["Not an aircraft field."] for name in unknown})
    before = _aircraft_snapshot(aircraft)
    errors = _clean_aircraft(tail_number=changes.get("tail_number"), status=changes.get("status"),
                             exclude_pk=aircraft.pk)
    _clean_limits(max_crosswind_kt=changes.get("max_crosswind_kt"), ifr_equipped=changes.get("ifr_equipped"),
                  errors=errors)
    if errors:
        raise ApplicationError("The aircraft could not be updated.", fields=errors)
    if isinstance(changes.get("home_airport"), str):
        changes["home_airport"] = airport_get_or_create(changes["home_airport"])
    if "tail_number" in changes:
        changes["tail_number"] = changes["tail_number"].strip().upper()
    new_status = changes.pop("status", aircraft.status)
    for field, value in changes.items():
        setattr(aircraft, field, value)
    aircraft.save()
    if new_status != before["status"]:
        # Staff setting the status is grounding or returning to service, with everything that means for the
        # aircraft's flights: the same services a squawk uses.
        if new_status == AircraftStatus.MAINTENANCE:
            aircraft_ground(aircraft=aircraft, by=actor, reason=f"{aircraft.tail_number} is in maintenance.")
        else:
            aircraft_return_to_service(aircraft=aircraft, by=actor)
        aircraft.refresh_from_db()
    after = _aircraft_snapshot(aircraft)
    if before != after:
        audit_record(action="aircraft.updated", object_type="aircraft", object_id=aircraft.pk, actor=actor,
                     before=before, after=after)
    return aircraft
