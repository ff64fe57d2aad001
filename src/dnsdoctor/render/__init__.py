"""Renderers: read a Report (and the streamed records), never collect or decide."""
