"""Sentence splitting for engines that do not split text themselves (espeak-ng)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=\S)")
_ABBREVIATIONS = ("mr.", "mrs.", "ms.", "dr.", "st.", "e.g.", "i.e.", "etc.", "vs.")


def split_sentences(text: str) -> list[str]:
    """``text`` cut after ``.``, ``!``, ``?``, ``;`` or ``:`` followed by space; no empty parts."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(" ".join(text.split())):
        if parts and parts[-1].lower().endswith(_ABBREVIATIONS):
            parts[-1] = f"{parts[-1]} {piece}"
        elif piece.strip():
            parts.append(piece.strip())
    return parts
