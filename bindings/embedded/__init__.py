"""The embedded runtime's adapters: PostgreSQL, durable pub/sub, cron, state, secrets and invocation in one
process, with no Docker, Kafka or Dapr to install. bindings/wiring.py builds Deps from them, and
bindings/embedded_runtime.py runs every function on them."""
