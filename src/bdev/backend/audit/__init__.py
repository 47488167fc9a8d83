"""`audit`: boot a backend service and measure it (tests, coverage, start-up, API
conformance, load, security, migrations), then grade it."""
