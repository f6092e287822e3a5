NAME = "plugin from b"
