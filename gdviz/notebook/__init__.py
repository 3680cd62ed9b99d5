"""Jupyter: the inline display and the live view."""
