"""Turning a `ServicePlan` into the source files of a runnable service."""
