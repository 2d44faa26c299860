"""set_the_mood: the floor lamp at a level that suits the hour."""

from __future__ import annotations

from edge_os.apps.sdk import Act, AppReply, AppRequest

LEVELS = ((6, 10, "early morning"), (9, 80, "day"), (17, 50, "evening"), (22, 20, "night"))
"""(from this hour, brightness %, what to call it); before the first: the night's level."""


def handle(request: AppRequest) -> AppReply:
    """Pick the level for the hour it is now."""
    level, called = 15, "night"
    for hour, percent, name in LEVELS:
        if request.now.hour >= hour:
            level, called = percent, name
    lamp = Act("light.living_room_lamp", "set_brightness", {"brightness": level})
    return AppReply([lamp], say=f"The floor lamp is at {level} percent for the {called}.")
