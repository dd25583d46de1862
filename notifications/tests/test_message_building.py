"""The email a notification becomes: byte for byte what Django and the standard library write, apart from the
multipart boundary, which is still one that occurs nowhere in the parts."""

import re
from email import message_from_bytes
from email._policybase import compat32

from django.core.mail import EmailMultiAlternatives
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.channels import _SHORT_HEADERS, NotificationEmail

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
