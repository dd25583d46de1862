#!/usr/bin/env python3
"""Check a running deployment the way an operator would right after a deploy.

    python scripts/smoke.py --url https://app.flightschedulepro.com
    make smoke URL=https://app.flightschedulepro.com

Signs in as an operations staff account (SMOKE_EMAIL / SMOKE_PASSWORD, or --email / --password; where staff
need a one-time code, as in production, also SMOKE_OTP_SECRET / --otp-secret: the `secret=` of the otpauth://
link `manage.py enrol_totp_device` printed for that account), then:
health, login, who am I, a free slot from /api/v1/availability/slots/, a booking in it, a reschedule request
for that booking (generated, then read back and declined), and the booking cancelled again. Everything it
creates is labelled "smoke test" and cleaned up, even when a later step fails. It books only for the smoke
test's own student and instructor (`manage.py create_smoke_accounts`, whose email is off), never for a real
person. Standard library only, so it
runs from any machine with Python 3.11. Exit status 0 means every step passed.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

# The accounts `manage.py create_smoke_accounts` (availability/smoke.py) creates; .invalid never delivers.
SMOKE_STUDENT = "smoke-student@smoke-test.invalid"
SMOKE_INSTRUCTOR = "smoke-instructor@smoke-test.invalid"


class SmokeFailure(Exception):
    pass


class Client:
    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = None

    def call(self, method: str, path: str, *, body=None, query=None, expect=(200,)):
        url = f"{self.base_url}{path}" + (f"?{urlencode(query)}" if query else "")
        headers = {"Accept": "application/json", "User-Agent": "flight-schedule-pro-smoke/1"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.monotonic()
        try:
            with urlopen(Request(url, data=data, headers=headers, method=method), timeout=self.timeout) as response:
                status, raw = response.status, response.read()
        except HTTPError as exc:
            status, raw = exc.code, exc.read()
        except (URLError, TimeoutError, OSError) as exc:
            raise SmokeFailure(f"{method} {path}: no answer ({exc})") from exc
        elapsed_ms = (time.monotonic() - started) * 1000
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw[:300].decode(errors="replace")
        if status not in expect:
            raise SmokeFailure(f"{method} {path}: HTTP {status}, expected {' or '.join(map(str, expect))}: "
                               f"{json.dumps(payload)[:500] if not isinstance(payload, str) else payload}")
        return payload, elapsed_ms


def totp_code(secret: str, *, now: float | None = None, step_seconds: int = 30, digits: int = 6) -> str:
    """The code an authenticator app shows now for this base32 secret (RFC 6238, as django-otp checks it)."""
    key = base64.b32decode(secret.strip().replace(" ", "").upper() + "=" * (-len(secret.strip()) % 8))
    counter = int((time.time() if now is None else now) // step_seconds)
    digest = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10 ** digits:0{digits}d}"


def step(name: str, function):
    started = time.monotonic()
    try:
        detail = function()
    except SmokeFailure as exc:
        print(f"[FAIL] {name}: {exc}", flush=True)
        raise
    except (KeyError, IndexError, TypeError) as exc:
        print(f"[FAIL] {name}: unexpected answer ({type(exc).__name__}: {exc})", flush=True)
        raise SmokeFailure(name) from exc
    print(f"[ ok ] {name} ({(time.monotonic() - started) * 1000:.0f} ms){': ' + detail if detail else ''}",
          flush=True)


def first(payload) -> list:
    return payload["results"] if isinstance(payload, dict) and "results" in payload else payload


def run(args) -> None:
    client = Client(args.url, args.timeout)
    state: dict = {}

    def health():
        payload, _ = client.call("GET", "/health")
        if payload.get("status") != "ok":
            raise SmokeFailure(f"/health says {payload}")
        return ", ".join(f"{name} {value}" for name, value in payload.get("checks", {}).items())

    def login():
        body = {"email": args.email, "password": args.password}
        if args.otp_secret:
            body["otp_token"] = totp_code(args.otp_secret)
        payload, _ = client.call("POST", "/api/v1/auth/login/", body=body)
        client.token = payload["access"]
        if not payload.get("refresh"):
            raise SmokeFailure("login answered without a refresh token")
        return f"signed in as {payload['user']['email']}"

    def who_am_i():
        payload, _ = client.call("GET", "/api/v1/auth/me/")
        if payload["role"] != "admin":
            raise SmokeFailure(f"{payload['email']} is a {payload['role']}; the smoke test needs operations staff")
        return payload["role"]

    def choose_people_and_aircraft():
        aircraft = [a for a in first(client.call("GET", "/api/v1/aircraft/", query={"page_size": 100})[0])
                    if a["status"] == "available"]
        instructors = [u for u in first(client.call("GET", "/api/v1/users/", query={"role": "instructor",
                                                                                      "page_size": 100})[0])
                       if u["email"] == SMOKE_INSTRUCTOR]
        students = [u for u in first(client.call("GET", "/api/v1/users/", query={"role": "student",
                                                                                  "page_size": 100})[0])
                    if u["email"] == SMOKE_STUDENT]
        if not (instructors and students):
            raise SmokeFailure(f"no smoke-test accounts ({SMOKE_STUDENT}, {SMOKE_INSTRUCTOR}): create them with "
                               "manage.py create_smoke_accounts (zappa manage <stage> create_smoke_accounts)")
        if not aircraft:
            raise SmokeFailure("need an available aircraft; none is")
        state.update(aircraft=aircraft, instructors=instructors, student=students[0])
        return f"{len(aircraft)} aircraft, smoke student {students[0]['id']}, smoke instructor {instructors[0]['id']}"

    def free_slot():
        start = (datetime.now(UTC) + timedelta(days=args.days_ahead)).replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(days=7)
        for plane in state["aircraft"]:
            for instructor in state["instructors"]:
                query = {"instructor": instructor["id"], "aircraft": plane["id"], "student": state["student"]["id"],
                         "start": start.isoformat(), "end": end.isoformat(), "duration_minutes": 60}
                slots = first(client.call("GET", "/api/v1/availability/slots/", query=query)[0])
                if slots:
                    state.update(slot=slots[-1], plane=plane, instructor=instructor)
                    return f"{slots[-1]['start']} with {plane['tail_number']}, instructor {instructor['id']}"
        raise SmokeFailure(f"no free hour between {start:%Y-%m-%d} and {end:%Y-%m-%d} for any aircraft/instructor")

    def create_booking():
        body = {"student": state["student"]["id"], "instructor": state["instructor"]["id"],
                "aircraft": state["plane"]["id"], "departure_airport": state["plane"]["home_airport"],
                "start": state["slot"]["start"], "end": state["slot"]["end"], "lesson_type": "dual",
                "notes": "smoke test: created and cancelled by scripts/smoke.py"}
        payload, _ = client.call("POST", "/api/v1/bookings/", body=body, expect=(201,))
        state["booking"] = payload
        if payload["status"] != "scheduled":
            raise SmokeFailure(f"new booking {payload['id']} is {payload['status']}")
        return f"booking {payload['id']} {payload['status']}"

    def read_booking():
        payload, _ = client.call("GET", f"/api/v1/bookings/{state['booking']['id']}/")
        return f"weather {payload['weather_status']}"

    def reschedule():
        payload, _ = client.call("POST", f"/api/v1/bookings/{state['booking']['id']}/reschedule/", expect=(201,))
        state["request"] = payload
        return f"request {payload['id']} {payload['status']} with {len(payload['options'])} options"

    def read_request():
        payload, _ = client.call("GET", f"/api/v1/reschedule-requests/{state['request']['id']}/")
        if payload["booking"] != state["booking"]["id"]:
            raise SmokeFailure(f"request {payload['id']} belongs to booking {payload['booking']}")
        return f"expires {payload['expires_at']}"

    def decline_request():
        payload, _ = client.call("POST", f"/api/v1/reschedule-requests/{state['request']['id']}/decline/")
        return payload["status"]

    def cancel_booking():
        payload, _ = client.call("POST", f"/api/v1/bookings/{state['booking']['id']}/cancel/",
                                 body={"reason": "smoke test"})
        if payload["status"] != "cancelled":
            raise SmokeFailure(f"booking {payload['id']} is {payload['status']} after cancelling")
        return payload["status"]

    step("health", health)
    step("login", login)
    step("who am I", who_am_i)
    step("aircraft and the smoke-test accounts", choose_people_and_aircraft)
    step("free slot from /api/v1/availability/slots/", free_slot)
    step("create booking", create_booking)
    try:
        step("read booking", read_booking)
        step("reschedule request", reschedule)
        step("read reschedule request", read_request)
        step("decline reschedule request", decline_request)
    finally:
        # The booking never stays behind, whatever failed after it was made.
        step("cancel booking", cancel_booking)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="Base URL of the deployment, e.g. https://app.example.com")
    parser.add_argument("--email", default=os.environ.get("SMOKE_EMAIL"), help="Operations staff login (SMOKE_EMAIL)")
    parser.add_argument("--password", default=os.environ.get("SMOKE_PASSWORD"), help="Its password (SMOKE_PASSWORD)")
    parser.add_argument("--otp-secret", default=os.environ.get("SMOKE_OTP_SECRET"),
                        help="Base32 secret of the account's TOTP device, where staff need a one-time code "
                             "(SMOKE_OTP_SECRET)")
    parser.add_argument("--days-ahead", type=int, default=5, help="Search slots from this many days ahead (5)")
    parser.add_argument("--timeout", type=float, default=30.0, help="Seconds to wait for each answer (30)")
    args = parser.parse_args(argv)
    if not args.url or args.url == "":
        parser.error("--url is required, e.g. make smoke URL=https://app.example.com")
    if not (args.email and args.password):
        parser.error("credentials are required: SMOKE_EMAIL and SMOKE_PASSWORD, or --email and --password")
    print(f"Smoke test of {args.url}", flush=True)
    try:
        run(args)
    except SmokeFailure:
        print("SMOKE TEST FAILED", flush=True)
        return 1
    print("Smoke test passed.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
