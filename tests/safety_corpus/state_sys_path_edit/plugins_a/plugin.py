NAME = "plugin from a"
