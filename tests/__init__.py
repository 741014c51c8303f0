"""Tests of fleetstage."""
