"""The whole local platform for the e2e tests: the `local_stack` fixture in tests/conftest.py."""
