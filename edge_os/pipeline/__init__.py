"""The voice loop's shared vocabulary: stage protocols, results and typed events."""
