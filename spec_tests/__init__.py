"""Property-based harness that checks a server or a client against an independent model of the InstaView API."""
