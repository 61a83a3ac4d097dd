"""The JSON API under /api/v1: controllers parse, authorise, call a service, map to a Struct."""
