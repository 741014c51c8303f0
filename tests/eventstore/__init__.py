"""Tests of fleetstage/eventstore."""
