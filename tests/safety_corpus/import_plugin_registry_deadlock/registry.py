"""Loads every plugin when imported; each plugin registers itself back into this module."""

import importlib
import time

NAMES = ["alpha", "beta", "gamma", "delta"]
REGISTERED: list[str] = []


def register(name: str) -> str:
    REGISTERED.append(name)
    return name


def load(name: str) -> str:
    time.sleep(0.01)  # plugins are unpacked from a slow share
    module = importlib.import_module(f"plugins.{name}")
    return module.TITLE


TITLES = [load(name) for name in NAMES]
