"""Tests of fleetstage/projections."""
