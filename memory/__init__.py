"""Keel's persistence layer: the bitemporal time-series store, the durable queue and preferences."""
