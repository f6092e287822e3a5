"""concadvise: profile, advise, rewrite and verify concurrency for Python scripts."""

__version__ = "0.1.0"
