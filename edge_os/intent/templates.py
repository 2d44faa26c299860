"""English command templates, expanded once into a table of sentence skeletons.

A template is written in a small hassil-like syntax over *normalised* text (fillers such
as "the" and "please" are already gone): ``(a|b|)`` alternatives (an empty one makes the
group optional), ``[x]`` optional words, and macros ``$T`` (a target: a device, a domain in
an area, ...), ``$V`` (a number or a percentage), ``$D`` (degrees or a number). Placeholders
such as ``{name}`` stand for mentions found by the lexicon. Expanding every template gives
a dict from skeleton to templates, so matching a sentence is one dict lookup.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from edge_os.devices.entity import Action, Domain

TARGET_FORMS = (
    "{name}",
    "{name} in {area}",
    "{area} {name}",
    "{area} {domain}",
    "{domain} in {area}",
    "{domain} {area}",
    "{domain}",
    "all {domain}",
    "all {domain} in {area}",
    "all {area} {domain}",
    "all {domain} {area}",
    "{domain} of {area}",
    "{name} of {area}",
)
MACROS = {
    "$T": "(" + "|".join(TARGET_FORMS) + ")",
    "$V": "({n}|{pct})",
    "$D": "({deg}|{n})",
}


@dataclass(frozen=True)
class Template:
    """One family of sentences and what they mean."""

    intent: str
    """Home Assistant intent name."""
    pattern: str
    action: Action | None = None
    """Action every target must declare (None for questions and timers)."""
    value_slot: str | None = None
    """Slot the sentence's number, colour or Kelvin fills (``brightness``)."""
    domain: Domain | None = None
    """Domain implied when the sentence names no device ("set the volume to 20")."""
    slots: Mapping[str, str] = field(default_factory=dict)
    """Slots the template fixes (``state``: ``on``)."""
    reads: str | None = None
    """For questions: ``temperature`` (climate or temperature sensors) or ``state``."""


def _t(intent: str, pattern: str, **options: object) -> Template:
    return Template(intent, pattern, **options)  # type: ignore[arg-type]


ON, OFF = "HassTurnOn", "HassTurnOff"
CANCEL = "(cancel|stop|delete|remove|end|turn off|clear)"
SETW = "set|change|put|turn|adjust|make|bring"
SET = f"({SETW})"
TEMPLATES: tuple[Template, ...] = (
    # --- on / off, open / close, lock / unlock -----------------------------------------
    _t(ON, "(turn|switch|put|power) on $T", action=Action.TURN_ON),
    _t(ON, "(turn|switch|put|power|set) $T (on|to on)", action=Action.TURN_ON),
    _t(ON, "(activate|enable|start) $T", action=Action.TURN_ON),
    _t(OFF, "(turn|switch|power|shut) (off|of) $T", action=Action.TURN_OFF),
    _t(OFF, "(turn|switch|power|shut|set) $T (off|of|to off)", action=Action.TURN_OFF),
    _t(OFF, "(deactivate|disable|kill) $T", action=Action.TURN_OFF),
    _t("HassMediaPause", "(stop|pause) $T", action=Action.PAUSE),
    _t(OFF, "stop $T", action=Action.TURN_OFF),
    _t(ON, "(open|raise|lift) [up] $T", action=Action.OPEN),
    _t(ON, "roll up $T", action=Action.OPEN),
    _t(ON, "(open|raise) [up] {area}", action=Action.OPEN),
    _t(OFF, "(close|shut|lower) [down|up] {area}", action=Action.CLOSE),
    _t(OFF, "(close|shut|lower) [down|up] $T", action=Action.CLOSE),
    _t(OFF, "roll down $T", action=Action.CLOSE),
    _t(ON, "lock [up] $T", action=Action.LOCK),
    _t(OFF, "unlock $T", action=Action.UNLOCK),
    _t(ON, "$T on", action=Action.TURN_ON),
    _t(OFF, "$T off", action=Action.TURN_OFF),
    _t(ON, "({domain}|{name}) on in {area}", action=Action.TURN_ON),
    _t(OFF, "({domain}|{name}) off in {area}", action=Action.TURN_OFF),
    # --- settings by number: the target's domain decides which intent -------------------
    _t("HassLightSet", f"{SET} $T brightness (to|at) $V", action=Action.SET_BRIGHTNESS,
       value_slot="brightness"),
    _t("HassLightSet", f"{SET} brightness (of|for|on|in) $T (to|at) $V",
       action=Action.SET_BRIGHTNESS, value_slot="brightness"),
    _t("HassLightSet", f"{SET} brightness (to|at) $V", action=Action.SET_BRIGHTNESS,
       value_slot="brightness", domain=Domain.LIGHT),
    _t("HassLightSet", f"{SET} brightness (to|at) $V (in|on|for) $T",
       action=Action.SET_BRIGHTNESS, value_slot="brightness"),
    _t("HassLightSet", f"{SET} $T (to|at) $V brightness", action=Action.SET_BRIGHTNESS,
       value_slot="brightness"),
    _t("HassLightSet", f"{SET} {{area}} brightness (to|at) $V", action=Action.SET_BRIGHTNESS,
       value_slot="brightness", domain=Domain.LIGHT),
    _t("HassLightSet", f"{SET} brightness in {{area}} (to|at) $V", action=Action.SET_BRIGHTNESS,
       value_slot="brightness", domain=Domain.LIGHT),
    _t("HassLightSet", f"{SET} brightness (to|at) $V in {{area}}", action=Action.SET_BRIGHTNESS,
       value_slot="brightness", domain=Domain.LIGHT),
    _t("HassLightSet", "(dim|brighten) $T (to|at) $V", action=Action.SET_BRIGHTNESS,
       value_slot="brightness"),
    _t("HassLightSet", "$T brightness [to] $V", action=Action.SET_BRIGHTNESS,
       value_slot="brightness"),
    _t("HassFanSetSpeed", f"{SET} $T speed (to|at) $V", action=Action.SET_PERCENTAGE,
       value_slot="percentage"),
    _t("HassFanSetSpeed", f"{SET} speed (of|for|on) $T (to|at) $V",
       action=Action.SET_PERCENTAGE, value_slot="percentage"),
    _t("HassFanSetSpeed", f"{SET} fan speed (to|at) $V", action=Action.SET_PERCENTAGE,
       value_slot="percentage", domain=Domain.FAN),
    _t("HassSetPosition", f"({SETW}|open|close|raise|lower|move) $T position (to|at) $V",
       action=Action.SET_POSITION, value_slot="position"),
    _t("HassSetPosition", f"{SET} position (of|for) $T (to|at) $V", action=Action.SET_POSITION,
       value_slot="position"),
    _t("HassSetPosition", "(open|close|raise|lower|move) $T (to|at) $V",
       action=Action.SET_POSITION, value_slot="position"),
    _t("HassSetPosition", "open $T {pct}", action=Action.SET_POSITION, value_slot="position"),
    _t("HassSetVolume", f"{SET} $T volume (to|at) $V", action=Action.SET_VOLUME,
       value_slot="volume_level"),
    _t("HassSetVolume", f"{SET} volume (of|on|for) $T (to|at) $V", action=Action.SET_VOLUME,
       value_slot="volume_level"),
    _t("HassSetVolume", f"[{SETW}] volume [to|at] $V", action=Action.SET_VOLUME,
       value_slot="volume_level", domain=Domain.MEDIA_PLAYER),
    _t("HassSetVolume", f"[{SETW}] volume [to|at] $V (in|on) $T", action=Action.SET_VOLUME,
       value_slot="volume_level"),
    _t("HassSetVolume", f"{SET} [volume in] {{area}} [volume] (to|at) $V",
       action=Action.SET_VOLUME, value_slot="volume_level", domain=Domain.MEDIA_PLAYER),
    _t("HassClimateSetTemperature", f"{SET} $T [temperature] (to|at) $D",
       action=Action.SET_TEMPERATURE, value_slot="temperature"),
    _t("HassClimateSetTemperature", f"{SET} temperature (of|in|on|for) $T (to|at) $D",
       action=Action.SET_TEMPERATURE, value_slot="temperature"),
    _t("HassClimateSetTemperature", f"{SET} [temperature|heat|heating] (to|at) $D [in {{area}}]",
       action=Action.SET_TEMPERATURE, value_slot="temperature", domain=Domain.CLIMATE),
    _t("HassClimateSetTemperature", f"{SET} temperature in {{area}} (to|at) $D",
       action=Action.SET_TEMPERATURE, value_slot="temperature", domain=Domain.CLIMATE),
    _t("HassClimateSetTemperature", f"{SET} {{area}} [temperature] (to|at) $D",
       action=Action.SET_TEMPERATURE, value_slot="temperature", domain=Domain.CLIMATE),
    _t("HassClimateSetTemperature", "(make|set) it {deg} [in {area}]",
       action=Action.SET_TEMPERATURE, value_slot="temperature", domain=Domain.CLIMATE),
    # --- the same words for every dimmable domain: lights, fans, covers, speakers --------
    *(
        _t(intent, f"{SET} $T [to|at] {{pct}}", action=action, value_slot=slot)
        for intent, action, slot in (
            ("HassLightSet", Action.SET_BRIGHTNESS, "brightness"),
            ("HassFanSetSpeed", Action.SET_PERCENTAGE, "percentage"),
            ("HassSetPosition", Action.SET_POSITION, "position"),
            ("HassSetVolume", Action.SET_VOLUME, "volume_level"),
        )
    ),
    *(
        _t(intent, f"{SET} $T (to|at) {{n}}", action=action, value_slot=slot)
        for intent, action, slot in (
            ("HassClimateSetTemperature", Action.SET_TEMPERATURE, "temperature"),
            ("HassLightSet", Action.SET_BRIGHTNESS, "brightness"),
            ("HassFanSetSpeed", Action.SET_PERCENTAGE, "percentage"),
            ("HassSetPosition", Action.SET_POSITION, "position"),
            ("HassSetVolume", Action.SET_VOLUME, "volume_level"),
        )
    ),
    # --- colour and colour temperature -----------------------------------------------
    _t("HassLightSet", f"{SET} $T [to] {{color}} [color]", action=Action.SET_COLOR,
       value_slot="color"),
    _t("HassLightSet", f"{SET} $T color (to|at) {{color}}", action=Action.SET_COLOR,
       value_slot="color"),
    _t("HassLightSet", f"{SET} color (of|for|on|in) $T (to|at) {{color}}",
       action=Action.SET_COLOR, value_slot="color"),
    _t("HassLightSet", "$T {color}", action=Action.SET_COLOR, value_slot="color"),
    _t("HassLightSet", f"{SET} $T [to] {{ctemp}}", action=Action.SET_COLOR_TEMP,
       value_slot="temperature"),
    _t("HassLightSet", f"{SET} $T color temperature (to|at) {{ctemp}}",
       action=Action.SET_COLOR_TEMP, value_slot="temperature"),
    # --- media --------------------------------------------------------------------------
    _t("HassMediaPause", "pause [music|playback|media]", action=Action.PAUSE,
       domain=Domain.MEDIA_PLAYER),
    _t("HassMediaPause", "stop (music|playback)", action=Action.PAUSE, domain=Domain.MEDIA_PLAYER),
    _t("HassMediaUnpause", "(resume|unpause|continue) [music|playback|media|playing]",
       action=Action.RESUME, domain=Domain.MEDIA_PLAYER),
    _t("HassMediaUnpause", "(resume|unpause|continue|play) $T", action=Action.RESUME),
    _t("HassMediaPause", "$T (pause|stop)", action=Action.PAUSE),
    _t("HassMediaUnpause", "$T (resume|unpause)", action=Action.RESUME),
    _t("HassMediaPause", "pause [in] {area}", action=Action.PAUSE, domain=Domain.MEDIA_PLAYER),
    _t("HassMediaUnpause", "(resume|unpause) [in] {area}", action=Action.RESUME,
       domain=Domain.MEDIA_PLAYER),
    # --- questions ----------------------------------------------------------------------
    _t("HassClimateGetTemperature", "(what is|what) [current] temperature [in {area}|inside]",
       reads="temperature"),
    _t("HassClimateGetTemperature", "(what is|what) {area} temperature", reads="temperature"),
    _t("HassClimateGetTemperature", "(what is|what) temperature (of|on) $T",
       reads="temperature"),
    _t("HassClimateGetTemperature", "what temperature is it [in {area}]", reads="temperature"),
    _t("HassClimateGetTemperature", "how (hot|warm|cold|{ctemp}) is it [in {area}]",
       reads="temperature"),
    _t("HassClimateGetTemperature", "what is $T", reads="temperature"),
    _t("HassClimateGetTemperature", "what is $T (set to|reading)", reads="temperature"),
    _t("HassGetState", "(is|are) $T <state>", reads="state"),
    _t("HassGetState", "(is|are) $T (currently|still) <state>", reads="state"),
    _t("HassGetState", "(is|are) [there] (any|some) [of] $T <state>", reads="state"),
    _t("HassGetState", "(what is|what) [current] (state|status) of $T", reads="state"),
    _t("HassGetState", "what is $T", reads="state"),
    _t("HassGetState", "(what is|what) $T (state|status)", reads="state"),
    # --- timers -------------------------------------------------------------------------
    _t("HassStartTimer", "(set|start|create|make) [timer|countdown] (for|of) {dur}"),
    _t("HassStartTimer", "(set|start|create|make) {dur} (timer|countdown)"),
    _t("HassStartTimer", "(set|start) (timer|countdown) {dur}"),
    _t("HassStartTimer", "(timer|countdown) [for] {dur}"),
    _t("HassStartTimer", "{dur} (timer|countdown)"),
    _t("HassStartTimer", "(remind|tell) me in {dur}"),
    _t("HassCancelTimer", f"{CANCEL} [{{dur}}] timer [in {{area}}]"),
    _t("HassCancelTimer", f"{CANCEL} timer (for|of) {{dur}}"),
    _t("HassTimerStatus", "how much time [is] (left|remaining) [on timer|on timers] [in {area}]"),
    _t("HassTimerStatus",
       "how (long|much longer) [is] (left|remaining) [on timer|on timers] [in {area}]"),
    _t("HassTimerStatus", "(time left|status) (on|of) (timer|timers) [in {area}]"),
    _t("HassTimerStatus", "{dur} timer status"),
    _t("HassTimerStatus",
       "how (much time|long) [is] (left|remaining) (on|in) ({dur}|{area}) (timer|timers)"),
    _t("HassTimerStatus", "how much (longer|time) [is there] [on timer]"),
    _t("HassTimerStatus", "(timer|timer status|time left|status of timer)"),
    _t("HassTimerStatus", "how long until timer (is done|goes off|ends|rings)"),
    _t("HassTimerStatus", "(what is|check) timer [status]"),
    # --- clock and conversation ---------------------------------------------------------
    _t("HassGetCurrentTime", "(what|what is) (time|current time) [is it]"),
    _t("HassGetCurrentTime", "(tell me|do you know) [current] (time|what time it is)"),
    _t("HassGetCurrentTime", "(time|what time is it|what time it is)"),
    _t("HassGetCurrentDate", "(what|what is) [current] (date|today date|date today|today) [is it]"),
    _t("HassGetCurrentDate", "what (day|date) is (it|today) [today]"),
    _t("HassGetCurrentDate", "(tell me|do you know) (date|what day it is|today date|date today)"),
    _t("HassGetCurrentDate", "(date|today date|what day is it)"),
    _t(
        "HassNevermind",
        "(nevermind|cancel|forget it|nothing|forget about it|that is all|stop|stop it"
        "|be quiet|quiet|silence|shut up|enough|that is enough)",
    ),
)  # fmt: skip
STATES = {
    "on": "on", "off": "off", "open": "open", "closed": "closed", "shut": "closed",
    "locked": "locked", "unlocked": "unlocked", "running": "on", "playing": "playing",
    "opening": "opening", "closing": "closing", "shutting": "closing",
}  # fmt: skip
"""Words of the ``state`` slot of HassGetState (``<state>`` in a pattern) and their value."""

_GROUP = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|<state>")


def expand(pattern: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Every skeleton a pattern stands for, with the slots its ``<state>`` choice fixes."""
    for macro, body in MACROS.items():
        pattern = pattern.replace(macro, body)
    pieces: list[list[tuple[str, dict[str, str]]]] = []
    index = 0
    for match in _GROUP.finditer(pattern):
        pieces.append([(pattern[index : match.start()], {})])
        if match.group(0) == "<state>":
            pieces.append([(word, {"state": state}) for word, state in STATES.items()])
        elif match.group(1) is not None:
            pieces.append([(choice, {}) for choice in match.group(1).split("|")])
        else:
            pieces.append([(choice, {}) for choice in (*match.group(2).split("|"), "")])
        index = match.end()
    pieces.append([(pattern[index:], {})])
    for combination in itertools.product(*pieces):
        text = " ".join(" ".join(part for part, _ in combination).split())
        slots: dict[str, str] = {}
        for _, fixed in combination:
            slots.update(fixed)
        yield text, slots


def compile_templates(
    templates: tuple[Template, ...] = TEMPLATES,
) -> dict[str, list[tuple[Template, dict[str, str]]]]:
    """Skeleton -> templates that produce it (in priority order) with their fixed slots."""
    table: dict[str, list[tuple[Template, dict[str, str]]]] = {}
    for template in templates:
        for text, slots in expand(template.pattern):
            table.setdefault(text, []).append((template, {**template.slots, **slots}))
    return table


def vocabulary(table: Mapping[str, object]) -> set[str]:
    """Literal words the templates use (placeholders excluded)."""
    return {word for key in table for word in key.split() if not word.startswith("{")}
