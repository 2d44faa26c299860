"""The orchestrator: the audio front end, one command's path and the loaded assistant."""
