"""Model manifest, verification and fetching (``edge-os models``)."""
