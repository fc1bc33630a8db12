"""Kwetter's own package: domain, events, adapters, config.

Cloud Functions import it as ``shared`` (Terraform zips this folder beside each ``main.py``);
the local stack imports it from the repository root.
"""
