"""Adapters: the ports implemented on real services."""
