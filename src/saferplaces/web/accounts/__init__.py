"""Organisations, users and roles, sign-in and sign-out, and the audit log."""
