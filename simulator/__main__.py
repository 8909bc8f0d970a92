"""`python -m simulator ...` is `instaview-sim ...`."""
from simulator.cli import main

main(prog_name="instaview-sim")
