"""What weather tells the apps above it. Weather ends at a committed verdict: it never holds a booking, opens a
request or tells anyone. Receivers are connected in the higher app's `AppConfig.ready`."""

from django.dispatch import Signal

# A booking's check is committed and calls for a reaction (see `services.outcome_needs_action`). Sent by the
# monitor after the checks' transaction, once per booking, with no transaction open. Arguments: booking, check,
# now. Rescheduling holds, releases or alerts and returns what it did: held, released, unknown_alert or None.
verdict_committed = Signal()
