from registry import register

TITLE = register("gamma").title()
