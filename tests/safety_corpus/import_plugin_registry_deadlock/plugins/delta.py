from registry import register

TITLE = register("delta").title()
