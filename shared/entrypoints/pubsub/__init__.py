"""Pub/Sub entry points: turning a push into a use-case call, and dead-lettering poison."""
