"""Use cases: what the platform does, written against the ports (shared/ports.py) only.

Each module is one part of the platform (users, posts, media, timeline reads, fan-out, outbox).
Entry points (shared/entrypoints) call them; shared/bootstrap.py builds them on real adapters.
"""
