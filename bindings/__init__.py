"""The thin adapter between Dapr (or the embedded runtime) and the handlers in `functions`."""
