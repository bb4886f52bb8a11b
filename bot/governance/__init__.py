"""Governance: roles and departments, the one place that decides permissions, screening, audit,
usage statistics and retention."""
