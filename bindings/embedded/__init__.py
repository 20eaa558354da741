"""The embedded runtime: every function in one process, with no Docker, Kafka or Dapr to install."""
