"""The outbox: what the bot sends on its own (reminders, notices, digests, broadcast copies).

Storage writes a row for each message in the transaction that makes the news
(storage/reminders/, with a unique key per occasion); the sender (sender.py) claims what is
due, composes it by its kind and sends it, paced. Each area declares the kinds it sends
(kinds.Kind) beside its handlers, and bot/app.py registers them. An area that has just
written news calls kick(context) after its commit, so it goes out at once.
"""

from handlers.outbox.kinds import HOLD, KINDS, Copy, Kind, register
from handlers.outbox.reading import booking_of, on_its_day, session_ahead, session_of
from handlers.outbox.sender import deliver, dispatch_round, dispatch_tick, kick
from handlers.outbox.upkeep import OUTGOING, forget_tick, plan_tick

__all__ = [
    "HOLD",
    "KINDS",
    "OUTGOING",
    "Copy",
    "Kind",
    "booking_of",
    "deliver",
    "dispatch_round",
    "dispatch_tick",
    "forget_tick",
    "kick",
    "on_its_day",
    "plan_tick",
    "register",
    "session_ahead",
    "session_of",
]
