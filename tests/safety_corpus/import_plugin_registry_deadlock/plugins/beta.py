from registry import register

TITLE = register("beta").title()
