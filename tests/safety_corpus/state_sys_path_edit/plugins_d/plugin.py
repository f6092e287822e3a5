NAME = "plugin from d"
