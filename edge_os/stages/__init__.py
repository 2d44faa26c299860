"""The voice loop's shared vocabulary: stage protocols, results, action outcomes and events.

The bottom layer: every engine, driver and the orchestrator import it; it imports only the
audio format, the device schema and the standard library.
"""
