"""Writing records the way the facts expect them; each write announces itself (``signals.records_changed``)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction

from chuangxing.orgs.models import Member
from chuangxing.records.models import Attendance, Meeting, Presence
from chuangxing.records.signals import announce


@transaction.atomic
def record_attendance(*, meeting: Meeting, presence: Mapping[Member, str]) -> Meeting:
    """Set who was expected at ``meeting`` and how each attended; keep the meeting's counts in step (and the
    branch's facts: :data:`~chuangxing.records.signals.records_changed`, in this transaction).

    >>> record_attendance(meeting=m, presence={alice: Presence.PRESENT, bob: Presence.LEAVE})
    """
    Attendance.objects.filter(meeting=meeting).exclude(member__in=list(presence)).delete()
    for member, status in presence.items():
        Attendance.objects.update_or_create(meeting=meeting, member=member, defaults={"presence": status})
    meeting.expected = len(presence)
    meeting.present = sum(1 for status in presence.values() if status == Presence.PRESENT)
    meeting.save(update_fields=["expected", "present"])
    announce(sender="records.attendance", branches=[meeting.branch_id])
    return meeting
