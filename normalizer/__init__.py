"""Channel-independent parsing and normalization: the ``Report`` schema and its parts.

Nothing here imports the rest of the project; everything here is a pure function or model.
"""

from normalizer.phone import InvalidPhoneError, to_e164
from normalizer.report import (
    Attachment,
    Channel,
    Location,
    PossibleDuplicate,
    ReplyAddress,
    Report,
    Reporter,
    SimilarLink,
)
from normalizer.text import EmptyTextError, clean_text, require_text
from normalizer.tracking import InvalidTrackingIdError, TrackingIdProblem

__all__ = [
    "Attachment",
    "Channel",
    "EmptyTextError",
    "InvalidPhoneError",
    "InvalidTrackingIdError",
    "Location",
    "PossibleDuplicate",
    "ReplyAddress",
    "Report",
    "Reporter",
    "SimilarLink",
    "TrackingIdProblem",
    "clean_text",
    "require_text",
    "to_e164",
]
