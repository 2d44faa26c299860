"""The colour names a person may say for a light, with the hex value each one sets.

Shared by the intent reader (a colour word is a value, not an unknown name) and the
payload builder (a colour name becomes ``hex``, ``r``, ``g``, ``b``).
"""

from __future__ import annotations

COLOR_NAMES: dict[str, str] = {
    "red": "#ff0000",
    "green": "#00ff00",
    "blue": "#0000ff",
    "white": "#ffffff",
    "warm white": "#ffd6aa",
    "yellow": "#ffff00",
    "orange": "#ffa500",
    "purple": "#800080",
    "violet": "#ee82ee",
    "pink": "#ffc0cb",
    "magenta": "#ff00ff",
    "cyan": "#00ffff",
    "turquoise": "#40e0d0",
    "teal": "#008080",
    "lime": "#00ff00",
    "indigo": "#4b0082",
    "gold": "#ffd700",
    "brown": "#a52a2a",
    "coral": "#ff7f50",
    "salmon": "#fa8072",
    "lavender": "#e6e6fa",
    "navy": "#000080",
    "crimson": "#dc143c",
    "amber": "#ffbf00",
}
"""Spoken colour names (CSS values, as Home Assistant uses) to hex."""
