"""Tests of fleetstage/e2e."""
