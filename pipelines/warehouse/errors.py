"""The warehouse's one error type, in its own module so schema and file handling share it.

``schema.migrate`` (a warehouse written by a newer xxgk) and ``files`` (locked, missing or
unreadable file) both raise it; the CLI and the dashboard show its message, never a
traceback. Messages are one line, Chinese with an English gloss.
"""

from __future__ import annotations


class WarehouseError(Exception):
    """A warehouse that cannot be opened or written, with a message for people."""
