"""Tests of fleetstage/cli."""
