"""Provisioning and running the real runtime on one machine: daprd, Kafka (KRaft), PostgreSQL, every function."""
