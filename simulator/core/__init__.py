"""The lifecycle engine, store and entities of the simulator; imports nothing from Flask."""
