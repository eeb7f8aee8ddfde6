"""Reliability and security test support: hostile-input corpus builders and fast return writers."""
