"""Development email: one line per message on the console instead of the whole MIME text.

`make run` with no configuration sends the demo school's first emails while it loads; printed whole they
buried the demo logins under a thousand lines. The full text of every message is in the app (notifications
and the admin); `EMAIL_URL=consolemail://` prints messages whole again.
"""

from django.core.mail.backends.console import EmailBackend


class SubjectLineConsoleBackend(EmailBackend):
    def write_message(self, message):
        recipients = ", ".join(message.recipients())
        self.stream.write(f"Email to {recipients}: {message.subject}\n")
