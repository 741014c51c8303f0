"""End-to-end bad-input corpus: invalid manifests and commands through the real CLI against a real hub."""
