"""A notification's MIME message, built and written as Django's `EmailMultiAlternatives` and the standard library's
compat32 generator build and write it, for the shape every notification email has: multipart/alternative of a
text/plain and a text/html part in UTF-8, nothing attached.

For each part Django runs the standard library's charset machinery (encode the text, decode it again, set the
charset parameter, encode it once more to choose 7bit or 8bit), and the generator parses each part's
Content-Type parameters several times and clones a policy and a generator for it. Here the parts get directly the
headers and payload those steps give them, and the message is written in one pass. Whatever lies outside that
shape (a line too long for 8bit, which Django sends quoted-printable; an empty part; another charset; a message
changed afterwards into something the writer does not know) is built or written the standard way.
"""

import re
from email.message import Message
from email.utils import formatdate, make_msgid
from functools import lru_cache

from django.conf import settings
from django.core.mail.message import (
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    SafeMIMEMultipart,
    SafeMIMEText,
    forbid_multi_line_headers,
    utf8_charset,
)
from django.core.mail.utils import DNS_NAME

# The generator's own line-ending pattern: each of these becomes the output's line separator.
_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
_ADDRESS_LISTS = ("To", "Cc", "Reply-To")
_SET_BY_DJANGO = {"from", "to", "cc", "reply-to"}


@lru_cache(maxsize=4096)
def header_value(name: str, value: str, encoding: str) -> str:
    """The value Django stores for a header: newlines refused (BadHeaderError), non-ASCII encoded (RFC 2047) and
    addresses sanitised. Remembered, since the messages of a run share their sender, reply-to and kind, and
    often their date and subject; a refusal is raised again every time."""
    return forbid_multi_line_headers(name, value, encoding)[1]


class NotificationMIME(SafeMIMEMultipart):
    """The multipart message Django builds, written by `write_message` when it can be."""

    def as_bytes(self, unixfrom=False, linesep="\n"):
        if not unixfrom:
            written = write_message(self, linesep=linesep)
            if written is not None:
                return written
        return super().as_bytes(unixfrom=unixfrom, linesep=linesep)


def _text_part(text: str, subtype: str) -> SafeMIMEText | None:
    """`SafeMIMEText(text, subtype, "utf-8")` as Django makes it, or None when Django would make it quoted-printable
    (a line longer than RFC 5322 allows) or the text cannot be encoded (the standard path then says why)."""
    if not isinstance(text, str):
        return None
    try:
        data = text.encode("utf-8")
    except UnicodeError:
        return None
    if len(data) > RFC5322_EMAIL_LINE_LENGTH_LIMIT and any(
            len(line.encode(errors="surrogateescape")) > RFC5322_EMAIL_LINE_LENGTH_LIMIT
            for line in text.splitlines()):
        return None
    part = SafeMIMEText.__new__(SafeMIMEText)
    Message.__init__(part)
    part.encoding = "utf-8"
    part._charset = utf8_charset
    part._payload = data.decode("ascii", "surrogateescape")
    part._headers = [("Content-Type", f'text/{subtype}; charset="utf-8"'), ("MIME-Version", "1.0"),
                     ("Content-Transfer-Encoding", "7bit" if data.isascii() else "8bit")]
    return part


def build_message(email, *, boundary_for, policy) -> NotificationMIME | None:
    """What `email.message()` returns (a Django `EmailMultiAlternatives` with one text/html alternative), with
    the boundary `boundary_for(payloads)` chooses and `policy` set; None when the email is not of that shape."""
    encoding = email.encoding or settings.DEFAULT_CHARSET
    if (encoding != "utf-8" or email.attachments or not email.body or len(email.alternatives) != 1
            or email.alternatives[0].mimetype != "text/html" or not email.alternatives[0].content):
        return None
    text = _text_part(email.body, "plain")
    html = _text_part(email.alternatives[0].content, "html")
    if text is None or html is None:
        return None
    boundary = boundary_for([text._payload, html._payload])
    message = NotificationMIME.__new__(NotificationMIME)
    Message.__init__(message)
    message.encoding = encoding
    message._payload = [text, html]
    headers = [("Content-Type", f'multipart/alternative; boundary="{boundary}"'), ("MIME-Version", "1.0")]
    extra = email.extra_headers

    def add(name, value):
        headers.append((name, header_value(name, str(value), encoding)))

    add("Subject", email.subject)
    add("From", extra.get("From", email.from_email))
    for name, values in zip(_ADDRESS_LISTS, (email.to, email.cc, email.reply_to), strict=True):
        if name in extra:
            add(name, extra[name])
        elif values:
            add(name, ", ".join(str(value) for value in values))
    named = {name.lower() for name in extra}
    if "date" not in named:
        add("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME))
    if "message-id" not in named:
        add("Message-ID", make_msgid(domain=DNS_NAME))
    for name, value in extra.items():
        if name.lower() not in _SET_BY_DJANGO:
            add(name, value)
    message._headers = headers
    message.policy = policy
    return message


@lru_cache(maxsize=16)
def _with_linesep(policy, linesep: str):
    return policy.clone(linesep=linesep)


def write_message(message: Message, *, linesep: str = "\n") -> bytes | None:
    """`BytesGenerator(mangle_from_=False).flatten(message, linesep=linesep)`'s bytes for a tree of text parts
    with string payloads inside multipart/alternative or /mixed parts that have a boundary and no preamble or
    epilogue; None for anything else, or when writing fails (the generator then gives its own answer)."""
    policy = _with_linesep(message.policy, linesep)
    out: list[bytes] = []
    try:
        written = _write(message, policy, linesep, out)
    except (UnicodeError, TypeError, ValueError):
        return None
    return b"".join(out) if written else None


def _write(message: Message, policy, linesep: str, out: list[bytes]) -> bool:
    content_type = message.get("Content-Type")
    if not isinstance(content_type, str):
        return False
    main_type, _, sub_type = content_type.partition(";")[0].strip().lower().partition("/")
    payload = message._payload
    if main_type == "multipart" and sub_type in ("alternative", "mixed"):
        boundary = message.get_boundary()
        if (not boundary or not isinstance(payload, list) or not payload or message.preamble is not None
                or message.epilogue is not None):
            return False
        _write_headers(message, policy, linesep, out)
        separator = f"--{boundary}{linesep}".encode("ascii")
        for index, part in enumerate(payload):
            out.append(separator if index == 0 else linesep.encode("ascii") + separator)
            if not isinstance(part, Message) or not _write(part, policy, linesep, out):
                return False
        out.append(f"{linesep}--{boundary}--{linesep}".encode("ascii"))
        return True
    if main_type == "text" and sub_type and "/" not in sub_type and isinstance(payload, str):
        _write_headers(message, policy, linesep, out)
        out.append(_LINE_ENDINGS.sub(linesep, payload).encode("ascii", "surrogateescape"))
        return True
    return False


@lru_cache(maxsize=4096)
def _folded(policy, name: str, value: str) -> bytes:
    """A header line as `policy` writes it, remembered: most of a message's fifteen header lines (the sender, the
    reply-to, the kind, each part's three) are the same for every message."""
    return policy.fold_binary(name, value)


def _write_headers(message: Message, policy, linesep: str, out: list[bytes]) -> None:
    out.extend(_folded(policy, name, value) if type(value) is str else policy.fold_binary(name, value)
               for name, value in message._headers)
    out.append(linesep.encode("ascii"))
