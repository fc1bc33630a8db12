"""The one-off migration of the event log to sealed events (issue 23, docs/privacy.md).

Events written before crypto-shredding carry their text and media in the clear, so destroying a
data key would not erase them. This seals each of them in place with its author's data key (the
same ``shared.sealing.seal_event`` the write path uses): same event id, same outbox flag, so
consumers and replays see the event they always saw once opened. Idempotent (a sealed event is
left alone) and resumable (run it again after a crash). Events of an account erased meanwhile
are left out: the eraser deletes that author's log.

Run once per environment after deploying the sealing functions: ``python3 -m shared.migrate
--seal-event-log`` (a deploy step like the Neo4j schema, with the functions' settings and the
KMS key, not a local tool: it must reach production's Firestore and KMS).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared import events, sealing
from shared.domain import errors
from shared.ports import ResealableEventLog


@dataclass
class SealReport:
    seen: int = 0
    sealed: int = 0
    already_sealed: int = 0
    nothing_personal: int = 0
    erased_authors: int = 0


def seal_event_log(log: ResealableEventLog, keys: sealing.DataKeys) -> SealReport:
    report = SealReport()
    for event in log.iter_events():
        report.seen += 1
        if sealing.sealing_user(event) is None:
            report.nothing_personal += 1
            continue
        if getattr(event, "sealed", None) is not None:
            report.already_sealed += 1
            continue
        try:
            sealed = sealing.seal_event(event, keys)
        except errors.PermissionDenied:
            report.erased_authors += 1
            continue
        assert isinstance(sealed, events.PostCreated)
        log.replace_event_data(sealed)
        report.sealed += 1
    return report
