"""webmail package."""
