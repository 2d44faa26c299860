"""Running edge-os as a service: the voice loop, systemd integration, health."""
