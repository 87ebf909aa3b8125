"""pytest plugin (placeholder until the emulator lands): registered through the ``pytest11`` entry point."""
