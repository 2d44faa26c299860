"""Apps: sentences of your own, and the device actions they may take (see :mod:`.book`)."""
