"""Speech-to-text: faster-whisper adapter, vocabulary bias, evaluation."""
