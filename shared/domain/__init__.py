"""Pure domain: no I/O here, so it is tested without any service."""
