"""Transports. Email goes through django.core.mail with whatever backend EMAIL_URL configures (SMTP, console,
SES through django-ses); in-app needs no transport, the stored row is the message.

Every transport failure becomes a `DeliveryError` that says whether trying again can help: a mail server that
is down will come back, a mailbox that does not exist will not.
"""

import contextlib
import functools
import hashlib
import logging
import secrets
import smtplib
from email._policybase import Compat32

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.core.mail.message import sanitize_address

from notifications.mime import build_message

logger = logging.getLogger(__name__)

# SES API errors that no retry will fix: the message itself was refused.
_PERMANENT_SES_ERRORS = {"MessageRejected", "InvalidParameterValue"}


class DeliveryError(Exception):
    """`unreachable`: no session with the mail service could be opened, so the message was never offered."""

    def __init__(self, message: str, *, retryable: bool, unreachable: bool = False):
        super().__init__(message)
        self.retryable = retryable
        self.unreachable = unreachable


class RecipientAddressRefused(DeliveryError):
    """The recipient's address cannot be written as an SMTP envelope address: asking again gives the same answer,
    and nothing was said to the server, so its session carries the next message."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


def _smtp_code_is_permanent(code) -> bool:
    return isinstance(code, int) and 500 <= code < 600


def classify(exc: Exception) -> DeliveryError:
    """Map whatever the mail backend raised onto retryable / permanent."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(_smtp_code_is_permanent(code) for code in codes)
        detail = "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                           for rcpt, (code, msg) in exc.recipients.items())
        return DeliveryError(f"recipient refused: {detail}", retryable=not permanent)
    if isinstance(exc, smtplib.SMTPDataError):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return DeliveryError(f"message refused: {exc.smtp_code} {message}",
                             retryable=not _smtp_code_is_permanent(exc.smtp_code))
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        code = response["Error"].get("Code", "")
        return DeliveryError(f"{code}: {response['Error'].get('Message', '')}",
                             retryable=code not in _PERMANENT_SES_ERRORS)
    # Connection refused, timeouts, disconnects, authentication and sender problems: the server or our
    # configuration, not the message. They heal, so the message waits for them.
    return DeliveryError(f"{type(exc).__name__}: {exc}".strip(), retryable=True)


def _message_id_domain() -> str:
    sender = settings.SES_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("@", 1)[-1].strip(">") or "flightschedulepro.local"


def _message_id_local_part(notification) -> str:
    # The key makes ids from different deployments (staging, production) differ for the same row number.
    digest = hashlib.sha256(f"{notification.idempotency_key}|{notification.recipient_id}".encode()).hexdigest()
    return f"notification-{notification.pk}.{digest[:16]}"


def _unused_boundary(texts) -> str:
    """A multipart boundary of the standard library's form that occurs nowhere in `texts` (the parts)."""
    texts = list(texts)
    while True:
        boundary = "=" * 15 + f"{secrets.randbits(63):019d}" + "=="
        if not any(boundary in text for text in texts):
            return boundary


class _Compat32ShortHeaders(Compat32):
    """The standard library's default policy (the one Django's messages use), writing a header that already fits
    on one line as it is. For such a header (printable ASCII, at most 78 characters with its name) the `Header`
    folding machinery returns the same text, after splitting and re-joining it on every space: most of the cost
    of writing a message's fifteen headers."""

    def fold_binary(self, name, value):
        if (isinstance(value, str) and len(name) + 2 + len(value) <= 78 and value.isascii()
                and value.isprintable()):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_SHORT_HEADERS = _Compat32ShortHeaders()


class NotificationEmail(EmailMultiAlternatives):
    """Django's message, built and written by `notifications.mime` (the same headers, parts and bytes), with its
    multipart boundary chosen here. Left to the standard library's generator, the boundary is checked against the
    serialised parts with a regular expression compiled afresh for every message (the boundary is random, so the
    pattern cache never hits). A plain substring test of the parts is stricter than that check and costs next to
    nothing."""

    def message(self):
        message = build_message(self, boundary_for=_unused_boundary, policy=_SHORT_HEADERS)
        if message is not None:
            return message
        message = super().message()
        if message.is_multipart() and message.get_boundary() is None:
            message.set_boundary(_unused_boundary(
                str(value) for part in message.walk() if not part.is_multipart()
                for value in [part.get_payload(), *part.values()]))
        message.policy = _SHORT_HEADERS
        return message


def build_email(notification, *, connection=None) -> EmailMultiAlternatives:
    reply_to = [settings.SES_REPLY_TO] if settings.SES_REPLY_TO else []
    message = NotificationEmail(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.SES_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        reply_to=reply_to,
        # A stable Message-ID: should a takeover after a crashed worker ever send twice, mail clients
        # recognise the copy as the same message.
        headers={
            "Message-ID": f"<{_message_id_local_part(notification)}@{_message_id_domain()}>",
            "X-FSP-Notification-Kind": notification.kind,
        },
        connection=connection,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


@functools.lru_cache(maxsize=4096)
def _envelope_address(address: str, encoding: str) -> str:
    """`sanitize_address` as Django's SMTP backend applies it to the sender and each recipient of every message,
    remembered: it parses the address with the standard library's header parser each time, and a run offers the
    same sender (and often the same people) on every message. A refused address is refused again every time."""
    return sanitize_address(address, encoding)


def _sanitized(address, encoding: str) -> str:
    return _envelope_address(address, encoding) if type(address) is str else sanitize_address(address, encoding)


def _offer(message, connection) -> bool:
    """Send `message` over `connection` as `message.send(fail_silently=False)` does. Django's SMTP backend (unless a
    subclass changes how it sends) is driven the way its `send_messages` drives itself, with the envelope
    addresses sanitised once per address; any other backend (SES, console, in-memory) gets `send_messages`."""
    kind = type(connection)
    if not (isinstance(connection, DjangoSMTPBackend) and kind.send_messages is DjangoSMTPBackend.send_messages
            and kind._send is DjangoSMTPBackend._send):
        return bool(message.send(fail_silently=False))
    if not message.recipients():
        return False
    with connection._lock:
        opened = connection.open()
        if not connection.connection or opened is None:
            return False
        try:
            encoding = message.encoding or settings.DEFAULT_CHARSET
            # A sender Django cannot write is our configuration (it heals when fixed, so it stays retryable); a
            # recipient it cannot write is that person's stored address, which no retry changes.
            sender = _sanitized(message.from_email, encoding)
            try:
                recipients = [_sanitized(address, encoding) for address in message.recipients()]
            except ValueError as exc:
                raise RecipientAddressRefused(f"recipient address refused: {exc}") from exc
            connection.connection.sendmail(sender, recipients, message.message().as_bytes(linesep="\r\n"))
        except smtplib.SMTPException:
            if not connection.fail_silently:
                raise
            return False
        finally:
            if opened:
                connection.close()
    return True


def _session_survives(connection, exc: Exception) -> bool:
    """Whether the mail session can carry the next message after `exc`: the server refused this message (a
    recipient, the sender, the data) and smtplib reset the transaction, or SES answered with an error; not after
    a drop, a timeout or a 421 (smtplib then closes its socket)."""
    if isinstance(exc, RecipientAddressRefused):
        return True
    if isinstance(exc, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused):
        session = getattr(connection, "connection", None)
        return getattr(session, "sock", None) is not None
    return isinstance(getattr(exc, "response", None), dict)


def send_email(notification, *, connection=None) -> None:
    """Send one stored email notification; raises DeliveryError on any failure.

    With `connection` (a mail backend the caller opened for a batch), the message goes over that session and
    the session stays open for the next one; if an earlier failure closed it, it is opened again here. Without
    one, the message gets a session of its own, closed before returning.
    """
    if connection is None:
        connection = get_connection()
        try:
            _send(notification, connection)
        finally:
            with contextlib.suppress(Exception):
                connection.close()
        return
    _send(notification, connection)


def _send(notification, connection) -> None:
    try:
        # A no-op on an open session. Opening here rather than inside send() keeps the session open afterwards
        # (Django's backends close a session that send_messages opened itself).
        connection.open()
    except Exception as exc:
        with contextlib.suppress(Exception):
            connection.close()
        error = classify(exc)
        raise DeliveryError(str(error), retryable=error.retryable, unreachable=True) from exc
    try:
        sent = _offer(build_email(notification, connection=connection), connection)
    except Exception as exc:
        if not _session_survives(connection, exc):
            # A broken session must not poison the next message of the batch: it gets a fresh one.
            # The session is already unusable; the original error is the one worth reporting.
            with contextlib.suppress(Exception):
                connection.close()
        raise classify(exc) from exc
    if not sent:
        raise DeliveryError("the mail backend accepted nothing", retryable=True)
