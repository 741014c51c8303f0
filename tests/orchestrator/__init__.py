"""Tests of fleetstage/orchestrator."""
