import io

from django.core.mail import EmailMultiAlternatives

from notifications.console import SubjectLineConsoleBackend


def test_development_email_is_one_line_a_message():
    stream = io.StringIO()
    message = EmailMultiAlternatives("Weather hold: Thu 03 Dec 10:30 PST at KPAO", "Hi Ben,\n" * 40,
                                     "noreply@example.com", ["ben@example.com", "cfi@example.com"])
    message.attach_alternative("<p>Hi Ben</p>" * 40, "text/html")
    sent = SubjectLineConsoleBackend(stream=stream).send_messages([message])
    assert sent == 1
    assert stream.getvalue() == (
        "Email to ben@example.com, cfi@example.com: Weather hold: Thu 03 Dec 10:30 PST at KPAO\n")
