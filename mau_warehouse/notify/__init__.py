"""Alert notifications (P4, R12, R13): an outbox, channels, and at-most-once delivery."""
