"""What a pool runs for each item of a rewritten loop: ``F`` itself when each value is
``F(item)``, else a lambda or a function that computes the item's value (its key too, for a dict)
from the item."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from advisor.syntax.loop_shape import LoopShape, names_read

__all__ = ["direct_callable", "item_function", "item_lambda", "parenthesized"]


def parenthesized(expression: cst.BaseExpression) -> cst.BaseExpression:
    """Bare tuples and generator expressions need parentheses as an argument, a lambda body or
    a returned value."""
    if isinstance(expression, cst.Tuple | cst.GeneratorExp) and not expression.lpar:
        return expression.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return expression


def _is_name_chain(expression: cst.BaseExpression) -> bool:
    if isinstance(expression, cst.Attribute):
        return _is_name_chain(expression.value)
    return isinstance(expression, cst.Name)


def direct_callable(shape: LoopShape) -> cst.BaseExpression | None:
    """``F`` (a name or ``a.b.F``) when each item's value is ``F(item)``, so ``map`` can call F
    itself."""
    value = shape.value
    if shape.key is not None or shape.prelude or shape.wrapper or not isinstance(value, cst.Call):
        return None
    if len(value.args) != 1:
        return None
    arg = value.args[0]
    if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Name):
        return None
    if arg.value.value != shape.target or not _is_name_chain(value.func):
        return None
    if shape.target in names_read(value.func):
        return None  # e.g. `item.load(item)`: F depends on the item
    return value.func


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def item_result(shape: LoopShape) -> cst.BaseExpression:
    """The value computed for one item: the value, or ``(key, value)`` for a dict."""
    if shape.key is None:
        return parenthesized(shape.value)
    return cst.Tuple(
        [
            cst.Element(parenthesized(shape.key), comma=_comma()),
            cst.Element(parenthesized(shape.value)),
        ]
    )


def item_lambda(shape: LoopShape) -> cst.Lambda:
    """``lambda item: <value>``."""
    return cst.Lambda(
        params=cst.Parameters(params=[cst.Param(cst.Name(shape.target))]), body=item_result(shape)
    )


def item_function(
    name: str,
    shape: LoopShape,
    keyword_only: Sequence[str] = (),
    value: cst.BaseExpression | None = None,
) -> cst.FunctionDef:
    """``def name(item, *, keyword_only...):`` the loop body's statements before the last one,
    then ``return`` the item's value (``value`` instead, if given)."""
    if value is not None:
        returned = parenthesized(value)
    elif shape.form == "for_tail":
        returned = shape.value  # `return url, size`: what the serial tail reads
    elif shape.key is not None:
        returned = item_result(shape).with_changes(lpar=[], rpar=[])  # `return key, value`
    else:
        returned = item_result(shape)
    keywords = [cst.Param(cst.Name(p)) for p in keyword_only]
    ending = [cst.SimpleStatementLine([cst.Return(returned)])]
    if shape.form == "for_tail" and not shape.returned:
        ending = []  # a body of effects only: its results are None
    return cst.FunctionDef(
        name=cst.Name(name),
        params=cst.Parameters(
            params=[cst.Param(cst.Name(shape.target))],
            star_arg=cst.ParamStar() if keywords else cst.MaybeSentinel.DEFAULT,
            kwonly_params=keywords,
        ),
        body=cst.IndentedBlock(_entered(shape, [*shape.prelude, *ending])),
    )


def _entered(shape: LoopShape, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """``body`` inside the loop's `with` block, when the whole loop body was one."""
    if shape.wrapper is None:
        return body
    return [shape.wrapper.with_changes(body=cst.IndentedBlock(body), leading_lines=[])]
