"""Voice-activity detection (Silero VAD on onnxruntime) and the endpointing state machine."""
