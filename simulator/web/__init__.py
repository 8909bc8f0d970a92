"""The Flask shell: routes that parse, call the core once, and serialise."""
