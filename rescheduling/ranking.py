"""Turns the solver's candidates into the options a request offers: Claude's order when it answers well,
the rules' order otherwise. Either way every option is one of the solver's candidates."""

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from accounts.models import User
from bookings.models import Aircraft
from rescheduling import claude
from rescheduling.models import OptionSource
from rescheduling.solver import PASSING, Candidate, aircraft_label, instructor_label

logger = logging.getLogger(__name__)

OPTIONS_PER_REQUEST = 3

WEATHER_WORDS = {
    "ok": "the forecast is good",
    "marginal": "the forecast passes your minimums, close to a limit",
    "unknown": "the forecast does not reach that far yet, so the weather will be checked again",
}


CONFIDENCE_WORDS = {
    "firm": "firm: observed conditions",
    "likely": "likely to hold",
    "uncertain": "uncertain this far ahead",
}


@dataclass(frozen=True)
class RankedCandidate:
    candidate: Candidate
    rationale: str
    source: str


@dataclass(frozen=True)
class Names:
    instructors: dict[int, str]
    aircraft: dict[int, str]


def _shift_words(start: datetime, original: datetime) -> str:
    minutes = round((start - original).total_seconds() / 60)
    if minutes == 0:
        return "the original time"
    direction = "later" if minutes > 0 else "earlier"
    minutes = abs(minutes)
    if minutes < 24 * 60:
        hours = minutes / 60
        amount = f"{hours:g} hour" + ("" if hours == 1 else "s")
    else:
        days = round(minutes / (24 * 60))
        amount = f"{days} day" + ("" if days == 1 else "s")
    return f"{amount} {direction} than the original slot"


def rules_rationale(candidate: Candidate, *, original_start: datetime, tz: zoneinfo.ZoneInfo, names: Names) -> str:
    keeps = []
    if candidate.instructor_id is not None and candidate.same_instructor:
        keeps.append("your instructor")
    if candidate.same_aircraft:
        keeps.append("your aircraft")
    if keeps:
        who = "Keeps " + " and ".join(keeps)
    else:
        parts = []
        if candidate.instructor_id is not None:
            parts.append(f"with {names.instructors.get(candidate.instructor_id, 'another instructor')}")
        parts.append(f"in {names.aircraft.get(candidate.aircraft_id, 'a same-model aircraft')}")
        who = "Flies " + " ".join(parts)
    local = candidate.start.astimezone(tz)
    when = f"{local:%a %d %b %H:%M} local, {_shift_words(candidate.start, original_start)}"
    usual = ", at a time you usually fly" if candidate.usual_hour else ""
    weather = WEATHER_WORDS.get(candidate.weather_status, "forecast not judged")
    if candidate.confidence and candidate.weather_status in PASSING:
        weather += f" ({CONFIDENCE_WORDS.get(candidate.confidence['word'], candidate.confidence['word'])})"
    return f"{who}; {when}{usual}; {weather}."


def lesson_payload(booking, *, tz: zoneinfo.ZoneInfo) -> dict:
    return {
        "lesson_type": booking.lesson_type,
        "training_level": booking.student.training_level,
        "route": f"{booking.departure_airport.icao}-{booking.destination_airport.icao}",
        "original_start_local": f"{booking.start.astimezone(tz):%Y-%m-%d %H:%M %Z}",
        "original_end_local": f"{booking.end.astimezone(tz):%Y-%m-%d %H:%M %Z}",
    }


def candidate_payload(candidate: Candidate, *, tz: zoneinfo.ZoneInfo, names: Names) -> dict:
    return {
        "candidate_id": candidate.candidate_id,
        "start_local": f"{candidate.start.astimezone(tz):%a %Y-%m-%d %H:%M %Z}",
        "end_local": f"{candidate.end.astimezone(tz):%a %Y-%m-%d %H:%M %Z}",
        "instructor": names.instructors.get(candidate.instructor_id) if candidate.instructor_id else None,
        "same_instructor": candidate.same_instructor,
        "aircraft": names.aircraft.get(candidate.aircraft_id),
        "same_aircraft": candidate.same_aircraft,
        "hours_from_original": candidate.hours_from_original,
        "usual_hour_for_student": candidate.usual_hour,
        "weather_status": candidate.weather_status,
        "forecast_known": candidate.forecast_known,
        "forecast_confidence": ({"word": candidate.confidence["word"], "score": candidate.confidence["score"],
                                 "basis": candidate.confidence["basis"]} if candidate.confidence else None),
    }


def load_names(candidates: list[Candidate]) -> Names:
    """The candidates' instructors and aircraft as options name them: as the solver carried them, reading only
    the ones it did not (one query each for instructors and aircraft, none when nothing is missing)."""
    instructors = {c.instructor_id: c.instructor_name for c in candidates if c.instructor_id and c.instructor_name}
    aircraft = {c.aircraft_id: c.aircraft_name for c in candidates if c.aircraft_name}
    instructor_ids = {c.instructor_id for c in candidates if c.instructor_id} - set(instructors)
    aircraft_ids = {c.aircraft_id for c in candidates} - set(aircraft)
    if instructor_ids:
        instructors.update((u.id, instructor_label(u)) for u in User.objects.filter(id__in=instructor_ids).only(
            "id", "first_name", "last_name", "email"))
    if aircraft_ids:
        aircraft.update((a.id, aircraft_label(a)) for a in Aircraft.objects.filter(id__in=aircraft_ids).only(
            "id", "tail_number", "model"))
    return Names(instructors=instructors, aircraft=aircraft)


def rank_options(*, booking, candidates: list[Candidate], count: int = OPTIONS_PER_REQUEST,
                 pinned_start: datetime | None = None) -> list[RankedCandidate]:
    """The `count` options to offer: Claude's choice and words when usable, else the solver's order and the rules'.

    With `pinned_start` (the aircraft is grounded), a candidate at that time in another aircraft is offered
    first whatever the ranking says: keeping the student's time is the point of the swap.
    """
    ranked = _rank(booking=booking, candidates=candidates, count=count)
    pinned = next((c for c in candidates if pinned_start is not None and c.start == pinned_start
                   and not c.same_aircraft), None)
    if pinned is None:
        return ranked
    chosen = next((r for r in ranked if r.candidate.candidate_id == pinned.candidate_id), None)
    if chosen is None:
        tz = zoneinfo.ZoneInfo(booking.departure_airport.time_zone or "UTC")
        names = load_names([pinned])
        swap = f"Your time in {names.aircraft.get(pinned.aircraft_id, 'another aircraft')} while yours is grounded. "
        chosen = RankedCandidate(pinned, swap + rules_rationale(pinned, original_start=booking.start, tz=tz,
                                                                names=names), OptionSource.RULES)
    rest = [r for r in ranked if r.candidate.candidate_id != pinned.candidate_id]
    return [chosen, *rest][:count]


def _rank(*, booking, candidates: list[Candidate], count: int) -> list[RankedCandidate]:
    if not candidates:
        return []
    tz = zoneinfo.ZoneInfo(booking.departure_airport.time_zone or "UTC")
    names = load_names(candidates)
    by_id = {c.candidate_id: c for c in candidates}
    needed = min(count, len(candidates))
    if claude.is_configured():
        try:
            ranked = claude.rank_candidates(
                lesson=lesson_payload(booking, tz=tz),
                candidates=[candidate_payload(c, tz=tz, names=names) for c in candidates],
                needed=needed,
            )
        except claude.ClaudeUnavailable as exc:
            logger.warning("Claude ranking unavailable for booking %s, using rules: %s", booking.pk, exc)
        else:
            return [RankedCandidate(by_id[r.candidate_id], r.rationale, OptionSource.AI) for r in ranked[:count]]
    return [
        RankedCandidate(c, rules_rationale(c, original_start=booking.start, tz=tz, names=names), OptionSource.RULES)
        for c in candidates[:count]
    ]
