"""`fleetstage demo`: the how-to "roll out and roll back changes in stage", run for real and narrated.

It starts a hub and three member agents as separate processes on the embedded store (or on Kafka),
runs each how-to command with `fleetstage` in place of `kubectl`, shows its real output, and checks every
outcome against the how-to. The same scenario is the end-to-end acceptance test (tests/e2e/).
"""
