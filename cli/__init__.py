"""The `fleetstage` command: kubectl-compatible verbs against a fleetstage hub, plus the service runners."""
