"""Entry points: the thin layer that turns an outside message into a use-case call.

``http/`` holds the routers of the HTTP functions (one module per function), ``pubsub/`` the
Pub/Sub consumers. They parse, call a use case, and map errors; no rule lives here.
"""
