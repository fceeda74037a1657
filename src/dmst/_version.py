"""The version of dmst, and of the rule engine it is built and tested with."""

__version__ = "0.1.0"

#: durable-rules is pinned to this release (pyproject.toml); a test checks the installed one.
DURABLE_RULES_VERSION = "2.0.28"
