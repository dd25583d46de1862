"""The email a notification becomes: byte for byte what Django and the standard library write, apart from the
multipart boundary, which is still one that occurs nowhere in the parts; the same headers and parts, in the same
order, as the message Django builds."""

import re
from email import message_from_bytes
from email._policybase import compat32

import pytest
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.core.mail.message import SafeMIMEMultipart
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.channels import _SHORT_HEADERS, NotificationEmail
from notifications.mime import NotificationMIME, write_message

HEADER_NAMES = ["Subject", "To", "From", "Reply-To", "Message-ID", "X-FSP-Notification-Kind", "Content-Type"]


@settings(max_examples=2000, deadline=None)
@given(name=st.sampled_from(HEADER_NAMES), value=st.text(alphabet=" \t;:,=\"a<>@é-\r\n", max_size=90)
       | st.text(max_size=90))
def test_a_header_is_written_as_the_standard_library_writes_it(name, value):
    def written(policy):
        try:
            return policy.clone(linesep="\r\n").fold_binary(name, value)
        except Exception as exc:  # the same refusal either way
            return type(exc)

    assert written(_SHORT_HEADERS) == written(compat32)


def _build(cls, subject, text, html):
    message = cls(subject=subject, body=text, from_email="Flight School <noreply@example.com>",
                  to=["Ana Pérez <ana@example.com>"], reply_to=["ops@example.com"],
                  headers={"Message-ID": "<notification-7.abc@example.com>", "X-FSP-Notification-Kind": "reminder",
                           "Date": "Thu, 03 Dec 2026 07:00:00 -0000"})
    message.attach_alternative(html, "text/html")
    return message.message().as_bytes(linesep="\r\n")


def _without_boundary(raw: bytes) -> bytes:
    boundary = message_from_bytes(raw).get_boundary().encode()
    return raw.replace(boundary, b"BOUNDARY")


@settings(max_examples=300, deadline=None)
@given(subject=st.text(min_size=1, max_size=120).filter(lambda s: s.strip() and "\n" not in s and "\r" not in s),
       text=st.text(max_size=400), html=st.text(max_size=400))
def test_a_notification_email_is_the_message_django_writes(subject, text, html):
    ours, django = _build(NotificationEmail, subject, text, html), _build(EmailMultiAlternatives, subject, text, html)
    assert _without_boundary(ours) == _without_boundary(django)


def test_the_boundary_is_never_a_line_of_the_parts():
    text = "\n".join(f"--{'=' * 15}{n:019d}==" for n in range(50))
    raw = _build(NotificationEmail, "Lesson", text, f"<p>{text}</p>")
    boundary = message_from_bytes(raw).get_boundary()
    assert re.fullmatch(r"={15}\d{19}==", boundary)
    assert boundary not in text
    parts = message_from_bytes(raw).get_payload()
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert parts[0].get_payload(decode=True).decode().replace("\r\n", "\n") == text


def _email(cls, *, subject="Lesson", text="Hello", html="<p>Hello</p>", sender="Flight School <noreply@example.com>",
           to="Ana Pérez <ana@example.com>", headers=None):
    message = cls(subject=subject, body=text, from_email=sender, to=[to], reply_to=["ops@example.com"],
                  headers={"Message-ID": "<notification-7.abc@example.com>", "X-FSP-Notification-Kind": "reminder",
                           "Date": "Thu, 03 Dec 2026 07:00:00 -0000", **(headers or {})})
    message.attach_alternative(html, "text/html")
    return message


def _tree(message):
    """Every part's headers (the boundary named as such) and payload, in order."""
    boundary = message.get_boundary()
    return [([(name, value.replace(boundary, "BOUNDARY") if boundary else value) for name, value in part.items()],
             None if part.is_multipart() else part.get_payload(), part.get_charset())
            for part in message.walk()]


names = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
bodies = st.text(max_size=300) | st.builds(lambda line, rest: line * 1000 + rest, st.sampled_from(["a", "é"]),
                                           st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(subject=st.text(min_size=1, max_size=120).filter(lambda s: "\n" not in s and "\r" not in s),
       sender_name=names, recipient_name=names, text=bodies, html=bodies)
def test_the_message_has_the_headers_and_parts_django_builds(subject, sender_name, recipient_name, text, html):
    fields = {"subject": subject, "text": text, "html": html,
              "sender": f'"{sender_name}" <noreply@example.com>' if sender_name else "noreply@example.com",
              "to": f'"{recipient_name}" <pilot@exämple.com>' if recipient_name else "pilot@example.com"}
    try:
        django = _email(EmailMultiAlternatives, **fields).message()
    except ValueError as refused:  # a display name Django cannot parse: refused the same way
        with pytest.raises(type(refused), match=re.escape(str(refused))):
            _email(NotificationEmail, **fields).message()
        return
    ours = _email(NotificationEmail, **fields).message()
    written = django.as_bytes(linesep="\r\n")  # the standard generator gives Django's message its boundary

    assert _tree(ours) == _tree(django)
    assert _without_boundary(ours.as_bytes(linesep="\r\n")) == _without_boundary(written)


def test_an_ordinary_notification_is_built_and_written_without_the_standard_machinery():
    message = _email(NotificationEmail, subject="Weather hold: Sat 28 Nov 09:00–10:30 PST at KPAO",
                     text="Señor Pérez,\nthe forecast is below minimums.\n", html="<p>Señor Pérez</p>").message()

    assert isinstance(message, NotificationMIME)
    assert write_message(message, linesep="\r\n") is not None
    assert message["Subject"] == "=?utf-8?q?Weather_hold=3A_Sat_28_Nov_09=3A00=E2=80=9310=3A30_PST_at_KPAO?="
    assert message["To"] == "=?utf-8?q?Ana_P=C3=A9rez?= <ana@example.com>"
    assert [part["Content-Transfer-Encoding"] for part in message.get_payload()] == ["8bit", "8bit"]


def test_a_message_changed_after_it_was_built_is_written_as_it_now_is():
    message = _email(NotificationEmail).message()
    message.get_payload()[0].set_payload("changed", "us-ascii")
    message.preamble = "This is a multi-part message in MIME format."

    written = message.as_bytes(linesep="\r\n")

    assert write_message(message, linesep="\r\n") is None
    assert written == SafeMIMEMultipart.as_bytes(message, linesep="\r\n")
    assert b"This is a multi-part message" in written and b"\r\n\r\nchanged\r\n--" in written


@pytest.mark.parametrize("header", ["Subject", "X-FSP-Notification-Kind"])
def test_a_newline_in_a_header_is_refused_as_django_refuses_it(header):
    fields = {"subject": "Lesson\nBcc: someone@example.com"} if header == "Subject" else \
        {"headers": {header: "reminder\r\nBcc: someone@example.com"}}

    with pytest.raises(BadHeaderError):
        _email(EmailMultiAlternatives, **fields).message()
    with pytest.raises(BadHeaderError):
        _email(NotificationEmail, **fields).message()
