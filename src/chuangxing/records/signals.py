"""``records_changed``: a branch's records were written, inside the transaction that wrote them.

>>> records_changed.send(sender="records.meeting", branches={meeting.branch_id})

Whatever derives from the records listens here instead of being called by the records: the
assessments refresh the facts of those branches (``assessments.apps``), in the same transaction, so
records and facts are committed together or not at all. Senders: the web pages of the records
(members, meetings, attendance, dues), :func:`records.services.record_attendance` and the importer
(``records.imports``: members, meetings, attendance, dues; the organization tree is not a branch's records).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.dispatch import Signal

records_changed = Signal()      # keyword argument: branches, the ids of the branches whose records changed


def announce(*, sender: str, branches: Iterable[int]) -> None:
    """Send :data:`records_changed` for ``branches`` (ids; nothing is sent for none)."""
    ids = sorted({int(pk) for pk in branches if pk is not None})
    if ids:
        records_changed.send(sender=sender, branches=ids)
