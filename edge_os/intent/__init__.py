"""Text to intent: a compiled grammar first, a small constrained LLM as fallback."""
