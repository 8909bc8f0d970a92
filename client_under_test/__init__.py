"""Reference Python client of the InstaView API."""
