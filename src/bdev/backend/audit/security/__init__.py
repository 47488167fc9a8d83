"""Security: the static scan (bandit, secrets, debug settings, pip-audit), the HTTP probes'
checks and targets, and the one severity rubric they share."""
