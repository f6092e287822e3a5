NAME = "plugin from c"
