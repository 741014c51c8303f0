"""Tests of fleetstage/agents."""
