"""`python -m cli`: the fleetstage command (what `fleetstage up --detach` starts in the background)."""
from cli.main import app

app()
