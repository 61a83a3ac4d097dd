"""Async use cases, one module per area. They own transactions and call domain/."""
