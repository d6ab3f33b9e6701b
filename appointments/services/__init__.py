from appointments.services.bookings import (
    AlreadyBooked,
    BookingError,
    SlotTaken,
    booking_cancel,
    booking_create,
    booking_mark,
    booking_reconvocable,
    booking_reconvoke,
    booking_reminders_send,
    booking_reschedule,
)
from appointments.services.offers import (
    offer_accept,
    offer_decline,
    offer_freed_seat,
    offers_expire,
    waitlist_join,
)
from appointments.services.slots import slots_generate

__all__ = [
    "AlreadyBooked",
    "BookingError",
    "SlotTaken",
    "booking_cancel",
    "booking_create",
    "booking_mark",
    "booking_reconvocable",
    "booking_reconvoke",
    "booking_reminders_send",
    "booking_reschedule",
    "offer_accept",
    "offer_decline",
    "offer_freed_seat",
    "offers_expire",
    "slots_generate",
    "waitlist_join",
]
