"""Frontends turn source files into framework-neutral facts."""
