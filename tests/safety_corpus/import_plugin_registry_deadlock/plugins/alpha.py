from registry import register

TITLE = register("alpha").title()
