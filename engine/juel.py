"""Camunda's expression languages read at deploy: JUEL (Camunda 7, `${…}`/`#{…}`) and simple FEEL
(Camunda 8 / Zeebe, `=…`), translated to the product's own restricted expression language.

Nothing of JUEL or FEEL is evaluated at run time: a diagram's expressions are rewritten once, when
it is deployed, into expressions `scripting.compile_expression` accepts. The subset is what
Camunda's examples use: names, `x.prop` on maps, literals, comparisons, `&&`/`||`/`!` and their
word forms, `empty`, arithmetic, `?:`, and the date helpers `dateTime().plusDays(n).toDate()`
(also plusWeeks, plusHours, plusMinutes). Anything else is refused with `Untranslatable`, whose
message says what is not supported (a method call on a bean, say).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

METHOD_CALLS = "JUEL method calls are not supported"
FEEL_CALLS = "FEEL function calls are not supported"

#: The date helpers of Camunda's examples: `dateTime().plusX(n)` as days.
_DATE_STEPS = {"plusDays": "{n}", "plusWeeks": "({n}) * 7", "plusHours": "({n}) / 24",
               "plusMinutes": "({n}) / 1440"}
_WORD_OPERATORS = {"eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=",
                   "and": "&&", "or": "||", "not": "!", "div": "/", "mod": "%"}
_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>\d+\.\d*|\.\d+|\d+)
    | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%?:.()\[\],=])
    )""", re.VERBOSE)


class Untranslatable(ValueError):
    """An expression outside the supported subset; the message says what is not supported."""


@dataclass
class _Token:
    kind: str
    text: str


def _tokens(source: str, feel: bool) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    source = source.rstrip()
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None or match.end() == pos:
            raise Untranslatable(f"cannot read the expression at {source[pos:].strip()[:20]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        text = match.group(kind)
        if kind == "name" and not feel and text in _WORD_OPERATORS:
            kind, text = "op", _WORD_OPERATORS[text]
        elif kind == "name" and feel and text in {"and", "or"}:
            kind, text = "op", {"and": "&&", "or": "||"}[text]
        out.append(_Token(kind, text))
    return out


class _Parser:
    """Recursive descent over JUEL's (or FEEL's) precedence levels, writing Python as it goes."""

    def __init__(self, source: str, feel: bool) -> None:
        self.tokens = _tokens(source, feel)
        self.pos = 0
        self.feel = feel

    def peek(self, *texts: str) -> bool:
        if self.pos >= len(self.tokens):
            return False
        token = self.tokens[self.pos]
        return token.kind == "op" and token.text in texts

    def take(self) -> _Token:
        if self.pos >= len(self.tokens):
            raise Untranslatable("the expression ends too early")
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise Untranslatable(f"expected {text!r}, found {token.text!r}")

    def parse(self) -> str:
        result = self.ternary()
        if self.pos != len(self.tokens):
            raise Untranslatable(f"unexpected {self.tokens[self.pos].text!r}")
        return result

    def ternary(self) -> str:
        cond = self.disjunction()
        if not self.feel and self.peek("?"):
            self.take()
            yes = self.ternary()
            self.expect(":")
            no = self.ternary()
            return f"(({yes}) if ({cond}) else ({no}))"
        return cond

    def disjunction(self) -> str:
        left = self.conjunction()
        while self.peek("||"):
            self.take()
            left = f"({left} or {self.conjunction()})"
        return left

    def conjunction(self) -> str:
        left = self.comparison()
        while self.peek("&&"):
            self.take()
            left = f"({left} and {self.comparison()})"
        return left

    def comparison(self) -> str:
        left = self.additive()
        equality = ("=", "!=", "<", ">", "<=", ">=") if self.feel else ("==", "!=", "<", ">", "<=", ">=")
        while self.peek(*equality):
            op = self.take().text
            left = f"({left} {'==' if op == '=' else op} {self.additive()})"
        return left

    def additive(self) -> str:
        left = self.multiplicative()
        while self.peek("+", "-"):
            op = self.take().text
            left = f"({left} {op} {self.multiplicative()})"
        return left

    def multiplicative(self) -> str:
        left = self.unary()
        while self.peek("*", "/", "%"):
            op = self.take().text
            left = f"({left} {op} {self.unary()})"
        return left

    def unary(self) -> str:
        if not self.feel and self.peek("!"):
            self.take()
            return f"(not {self.unary()})"
        if self.peek("-"):
            self.take()
            return f"(-{self.unary()})"
        if not self.feel and self.pos < len(self.tokens) and self.tokens[self.pos].text == "empty" \
                and self.tokens[self.pos].kind == "name":
            self.take()
            value = self.unary()
            return f"({value} is None or {value} == '' or {value} == [] or {value} == {{}})"
        return self.postfix()

    def postfix(self) -> str:
        token = self.take()
        if token.kind == "op" and token.text == "(":
            value = self.ternary()
            self.expect(")")
            return f"({value})"
        if token.kind == "number":
            return token.text
        if token.kind == "string":
            return repr(_unquote(token.text))
        if token.kind != "name":
            raise Untranslatable(f"unexpected {token.text!r}")
        literal = {"true": "True", "false": "False", "null": "None"}.get(token.text)
        if literal is not None:
            return literal
        if self.peek("("):
            if self.feel and token.text == "not":
                self.take()
                value = self.ternary()
                self.expect(")")
                return f"(not {value})"
            if not self.feel and token.text == "dateTime":
                return self.date_helper()
            raise Untranslatable(FEEL_CALLS if self.feel else METHOD_CALLS)
        value = token.text
        while self.peek(".", "["):
            if self.take().text == ".":
                prop = self.take()
                if prop.kind != "name":
                    raise Untranslatable(f"expected a property name after '.', found {prop.text!r}")
                if self.peek("("):
                    raise Untranslatable(FEEL_CALLS if self.feel else METHOD_CALLS)
                value = f"{value}[{prop.text!r}]"
            else:
                key = self.ternary()
                self.expect("]")
                value = f"{value}[{key}]"
        return value

    def date_helper(self) -> str:
        """`dateTime()` then plusDays/plusWeeks/plusHours/plusMinutes(n) steps, optionally `.toDate()`."""
        self.expect("(")
        self.expect(")")
        value = "now()"
        while self.peek("."):
            self.take()
            method = self.take().text
            self.expect("(")
            if method == "toDate":
                self.expect(")")
                break
            step = _DATE_STEPS.get(method)
            if step is None:
                raise Untranslatable(f"{METHOD_CALLS} (dateTime().{method})")
            amount = self.ternary()
            self.expect(")")
            value = f"add_days({value}, {step.format(n=amount)})"
        if self.peek("."):
            raise Untranslatable(METHOD_CALLS)
        return value


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


_JUEL_PART = re.compile(r"[$#]\{((?:[^}'\"]|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")*)\}")


def is_juel(text: str | None) -> bool:
    """True when the text holds a `${…}` or `#{…}` expression."""
    return bool(text) and _JUEL_PART.search(text or "") is not None


def translate_juel(text: str) -> str:
    """A JUEL value expression as a product expression. Text around `${…}` is kept as a string:
    `Case ${id}` becomes `'Case ' + str(id)`; text without any `${…}` is a string literal."""
    parts: list[str] = []
    pos = 0
    stripped = text.strip()
    for match in _JUEL_PART.finditer(stripped):
        if match.start() > pos:
            parts.append(repr(stripped[pos:match.start()]))
        parts.append(("{}" if match.start() == 0 and match.end() == len(stripped) else "str({})").format(
            _Parser(match.group(1), feel=False).parse()))
        pos = match.end()
    if pos < len(stripped) or not parts:
        parts.append(repr(stripped[pos:]))
    return " + ".join(parts)


def translate_feel(text: str) -> str:
    """A Zeebe expression (`=x > 1`) as a product expression; text without `=` is a string literal."""
    stripped = text.strip()
    if not stripped.startswith("="):
        return repr(stripped)
    return _Parser(stripped[1:], feel=True).parse()
