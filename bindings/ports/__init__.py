"""Outbound ports over the Dapr sidecar's HTTP API."""
