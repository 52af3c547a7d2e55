"""Renderers: one ``Content`` drawn as the file formats reports are published in.

Each renderer is a pure function ``(content, rng) -> bytes``; the rng draws the habits of
the publishing tool (encoding, line endings, page furniture), so a seed fixes the bytes.
"""
