"""Pure models and rules. No I/O here."""
