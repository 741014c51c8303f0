"""Tests of fleetstage/fleetevents."""
