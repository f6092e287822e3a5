"""File-format handlers, loaded when the package is imported; each format module subclasses
BaseHandler from this package."""

import importlib
import time


class BaseHandler:
    suffix = ""

    def describe(self) -> str:
        return f"{type(self).__name__} for *{self.suffix}"


def load(name: str) -> BaseHandler:
    time.sleep(0.01)  # format plugins live on a slow network share
    module = importlib.import_module(f"handlers.formats.{name}")
    return module.Handler()


HANDLERS = [load(name) for name in ["csv", "json", "xml", "yaml"]]
