"""The signed-in partnership dashboard (partners, analysts, OPCC, administrators)."""
