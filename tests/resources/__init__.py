"""Tests of fleetstage/resources."""
