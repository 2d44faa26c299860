"""Audio in and out: sources, sinks and the one internal format (16 kHz, 16-bit, mono)."""
