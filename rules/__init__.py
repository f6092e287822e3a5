"""The rule catalog and call knowledge, as data (installed as ``advisor.rules``)."""
