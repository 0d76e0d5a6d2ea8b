"""Fixtures for the protocol tests: the host's real Flask app on an SQLite file."""

from tests.support.protocol_app import client

__all__ = ["client"]
