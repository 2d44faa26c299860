"""The ``edge-os`` command line: one module per group of subcommands."""
