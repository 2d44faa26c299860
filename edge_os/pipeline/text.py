"""A typed command through the command path, and the report ``edge-os say`` prints.

Shared by ``edge-os say`` run in its own process and by the running service, which
carries out ``say`` for it over its local socket (:mod:`edge_os.service.local`): both give
the same report for the same sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from edge_os.stages.outcome import ActionOutcome, ActionRequest, OutcomeStatus

if TYPE_CHECKING:
    from edge_os.pipeline.command import CommandPipeline, Emit
    from edge_os.stages.protocols import IntentResult

SOURCE = "text"
"""The source of a typed command: its confirmation and follow-ups stay with typed commands."""


def run_text(
    command: CommandPipeline, text: str, emit: Emit, *, area: str | None, yes: bool
) -> dict[str, Any]:
    """Carry out ``text`` said in ``area`` (None: the site's); ``yes`` confirms what it holds.

    Raises the command's error (an :class:`~edge_os.errors.EdgeOSError`) when it failed
    before acting, as ``say`` reports it.
    """
    own_area = command.area
    if area is not None:
        command.area = area
    try:
        first = command.handle_text(text, emit, source=SOURCE)
        if first.error is not None:
            raise first.error
        outcomes, spoken = list(first.outcomes), first.answer
        if yes and command.pending is not None and command.pending.source == SOURCE:
            second = command.handle_text("yes", emit, source=SOURCE)
            held = OutcomeStatus.NEEDS_CONFIRMATION
            outcomes = [o for o in outcomes if o.status is not held] + list(second.outcomes)
            spoken = second.answer
    finally:
        command.area = own_area
    result = first.result
    assert result is not None
    return report(result, [o.request for o in first.outcomes], outcomes, spoken)


def report(
    result: IntentResult,
    requests: Sequence[ActionRequest],
    outcomes: Sequence[ActionOutcome],
    spoken: str | None,
) -> dict[str, Any]:
    """What ``say`` prints: the reading, the planned actions, what became of them, the answer."""
    return {
        "text": result.text,
        "intent": result.intent,
        "slots": dict(result.slots),
        "targets": list(result.targets),
        "confidence": result.confidence,
        "path": result.path,
        "latency_ms": round(result.latency_ms, 3),
        "actions": [
            {"entity_id": r.entity_id, "action": r.action.value, "params": dict(r.params)}
            for r in requests
        ],
        "outcomes": [
            {
                "entity_id": o.request.entity_id,
                "action": o.request.action.value,
                "status": o.status.value,
                "reason": o.reason,
            }
            for o in outcomes
        ],
        "answer": spoken,
        "executed": bool(outcomes),
    }
