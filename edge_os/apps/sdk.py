"""What an app's Python handler gets and gives back.

An app whose ``app.yaml`` names ``handler: handler.py`` has that file's ``handle`` called
when one of its sentences is said::

    from edge_os.apps.sdk import Act, AppReply, AppRequest

    def handle(request: AppRequest) -> AppReply:
        level = 30 if request.now.hour >= 19 else 80
        return AppReply([Act("light.living_room_lamp", "set_brightness", {"brightness": level})],
                        say=f"Lamp at {level} percent.")

The handler decides; it does not act. edge-os checks every :class:`Act` against the app's
permissions (a reply with one undeclared act is refused whole, and the app turned off) and
carries them out through the same command path as a spoken request, confirmation included.
A handler that raises, or takes longer than :data:`HANDLER_TIMEOUT_SECONDS`, is reported and
the app turned off; the service runs on. A handler is code you install, trusted like any
package: the permissions bound what it can make edge-os do, not what Python can do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

HANDLER_TIMEOUT_SECONDS = 2.0
"""Longest a handler may take before the app is turned off."""


@dataclass(frozen=True)
class AppRequest:
    """One sentence said to the app."""

    text: str
    """What was said."""
    slots: Mapping[str, str]
    """Values of the sentence's ``{list}`` slots (``{"mood": "cosy"}``)."""
    now: datetime
    """The local time."""
    area: str | None
    """Where it was said (the site's area)."""
    state: Callable[[str], str | None]
    """The last reported state of an entity the app declared (None for any other)."""


@dataclass(frozen=True)
class Act:
    """One device action the handler asks for."""

    entity: str
    action: str
    params: Mapping[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class AppReply:
    """What the handler wants done, and said."""

    acts: list[Act] = field(default_factory=list)
    say: str | None = None
    """Said when every act is done (or when there is none)."""
