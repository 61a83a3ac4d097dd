"""Database layer: Piccolo tables, the engine choice and the app registry."""
