"""Month close and billing snapshots (R16)."""
