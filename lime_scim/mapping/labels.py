"""Field and table labels: one spelling for the many ways a label is written.

LISA shows labels as words ("Job Title", "Responsible Co-worker"); the object API stores them as
lower-case keys ("jobtitle", "responsiblecoworker"). The SCIM mapping table names two labels by
their short LISA captions, "Email" and "Email 2", whose keys are "primaryemailaddress" and
"secondaryemailaddress". :func:`normalize_label` maps every spelling to the key.
"""

from __future__ import annotations

import re

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")

# Captions whose key is not the caption squeezed together.
_CAPTION_KEYS = {
    "email": "primaryemailaddress",
    "email2": "secondaryemailaddress",
}


def normalize_label(label: str) -> str:
    """Return the object API key of ``label`` ("Job Title" and "jobtitle" give "jobtitle")."""
    squeezed = _NOT_ALPHANUMERIC.sub("", label.lower())
    return _CAPTION_KEYS.get(squeezed, squeezed)
