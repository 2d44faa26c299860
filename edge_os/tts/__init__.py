"""Spoken answers: Piper (or espeak-ng) text-to-speech, the replies it speaks, and playback."""
