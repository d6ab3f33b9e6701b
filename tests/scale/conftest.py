"""The appointments tests' desk, slots and applicants, for the booking burst across two nodes."""

from tests.appointments.conftest import (  # noqa: F401 (fixtures, registered by being here)
    applicant_69,
    biometrics,
    desk_69,
    pan_assistance,
    site_69,
    slot_69,
)
