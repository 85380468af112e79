"""A typed filter over stored runs: `lr<0.01 and val_acc>0.9`, `tag:baseline`, `study:sweep-1 or not status:failed`.

A small recursive-descent parser, never eval: the grammar is

    expr    := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | atom
    atom    := "(" expr ")" | KIND ":" WORD | FIELD OP VALUE
    KIND    := tag | study | status | dataset
    OP      := < <= > >= = == !=

Fields are config fields and metrics by name or alias (lr, units, layers, val_acc, test_acc, ...). A run that
lacks a value (a failed run has no test accuracy) does not match a comparison on it. A per-layer list of widths
compares by its widest layer. Any mistake is an InputError naming the bad token and its column.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hptune.core.errors import InputError
from hptune.core.outcome import RunOutcome
from hptune.core.store import Annotations


class FilterError(InputError):
    """A filter expression that cannot be parsed; the message names the token and its column."""


def _config(key: str) -> Callable[[RunOutcome], Any]:
    return lambda r: getattr(r.config, key, None)


def _last(key: str) -> Callable[[RunOutcome], Any]:
    return lambda r: getattr(r.epochs[-1], key) if r.epochs else None


#: Field name -> how to read it from a run. Config fields by their own names; metrics of the last epoch.
FIELDS: dict[str, Callable[[RunOutcome], Any]] = {
    **{key: _config(key) for key in (
        "hidden_layers", "hidden_units", "activation", "dropout", "optimizer", "learning_rate", "momentum",
        "batch_size", "epochs", "patience", "seed", "normalize", "validation_size")},
    "val_accuracy": _last("val_accuracy"),
    "val_loss": _last("val_loss"),
    "accuracy": _last("accuracy"),
    "loss": _last("loss"),
    "best_val_accuracy": lambda r: r.best_val_accuracy,
    "test_accuracy": lambda r: r.test_accuracy,
    "test_macro_f1": lambda r: r.test_macro_f1,
    "val_macro_f1": lambda r: r.val_macro_f1,
    "train_seconds": lambda r: r.train_seconds,
    "epochs_done": lambda r: len(r.epochs),
    "n_params": lambda r: r.params,
    "run_id": lambda r: r.run_id,
    "trial": lambda r: r.number,
}

ALIASES: dict[str, str] = {
    "lr": "learning_rate", "units": "hidden_units", "width": "hidden_units", "layers": "hidden_layers",
    "act": "activation", "opt": "optimizer", "bs": "batch_size", "batch": "batch_size", "mom": "momentum",
    "val_acc": "val_accuracy", "best_val_acc": "best_val_accuracy", "acc": "accuracy", "train_acc": "accuracy",
    "train_loss": "loss", "test_acc": "test_accuracy", "test_f1": "test_macro_f1", "f1": "test_macro_f1",
    "macro_f1": "test_macro_f1", "val_f1": "val_macro_f1", "time": "train_seconds", "seconds": "train_seconds",
    "params": "n_params",
    "id": "run_id", "run": "run_id",
}

#: `KIND:WORD` atoms: tags (the run's or its study's), study name, status, dataset name.
KINDS = ("tag", "study", "status", "dataset")

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "=": operator.eq, "==": operator.eq, "!=": operator.ne,
}

_TOKEN = re.compile(r"""\s*(?:(?P<paren>[()])|(?P<op><=|>=|==|!=|<|>|=)|(?P<quoted>"[^"]*"|'[^']*')"""
                    r"""|(?P<word>[A-Za-z0-9_.+\-]+(?::[A-Za-z0-9_.+\-]*)?))""")


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    col: int  # 1-based


Predicate = Callable[[RunOutcome, Annotations], bool]


def _tokenize(text: str) -> list[_Tok]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            col = pos + len(text[pos:]) - len(text[pos:].lstrip()) + 1
            raise FilterError(f"filter: unexpected {text[col - 1]!r} at column {col}", field="filter")
        kind = m.lastgroup or "word"
        value = m.group(kind)
        tokens.append(_Tok(kind, value, m.start(kind) + 1))
        pos = m.end()
    return tokens


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return max(value) if value else None
    return value


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise FilterError(f"filter: {self.text!r} ends too soon; expected a field, tag:NAME or (", field="filter")
        self.i += 1
        return tok

    def parse(self) -> Predicate:
        if not self.tokens:
            raise FilterError("filter: empty; expected e.g. lr<0.01 and val_acc>0.9, or tag:baseline", field="filter")
        pred = self.expr()
        tok = self.peek()
        if tok is not None:
            raise FilterError(f"filter: unexpected {tok.text!r} at column {tok.col}; expected and, or or the end",
                              field="filter")
        return pred

    def _keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "word" and tok.text.lower() == word:
            self.i += 1
            return True
        return False

    def expr(self) -> Predicate:
        parts = [self.conj()]
        while self._keyword("or"):
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else (lambda r, c: any(p(r, c) for p in parts))

    def conj(self) -> Predicate:
        parts = [self.neg()]
        while self._keyword("and"):
            parts.append(self.neg())
        return parts[0] if len(parts) == 1 else (lambda r, c: all(p(r, c) for p in parts))

    def neg(self) -> Predicate:
        if self._keyword("not"):
            inner = self.neg()
            return lambda r, c: not inner(r, c)
        return self.atom()

    def atom(self) -> Predicate:
        tok = self.take()
        if tok.kind == "paren" and tok.text == "(":
            inner = self.expr()
            close = self.peek()
            if close is None or close.text != ")":
                where = f"at column {close.col}" if close else "at the end"
                raise FilterError(f"filter: expected ) {where} to close the ( at column {tok.col}", field="filter")
            self.i += 1
            return inner
        if tok.kind != "word" or tok.text.lower() in ("and", "or", "not"):
            raise FilterError(f"filter: unexpected {tok.text!r} at column {tok.col}; expected a field, tag:NAME or (",
                              field="filter")
        if ":" in tok.text:
            return self.kind_atom(tok)
        return self.comparison(tok)

    def kind_atom(self, tok: _Tok) -> Predicate:
        kind, _, word = tok.text.partition(":")
        kind = kind.lower()
        if kind not in KINDS:
            raise FilterError(f"filter: unknown {kind + ':'!r} at column {tok.col}; expected one of"
                              f" {', '.join(k + ':' for k in KINDS)}", field="filter")
        if not word:
            nxt = self.peek()
            if nxt is not None and nxt.kind == "quoted":
                word = self.take().text[1:-1]
            else:
                raise FilterError(f"filter: {tok.text!r} at column {tok.col} needs a name after the colon",
                                  field="filter")
        if kind == "tag":
            return lambda r, c: word in c.tags_of(r)
        if kind == "study":
            return lambda r, c: r.study == word
        if kind == "status":
            return lambda r, c: r.status == word
        return lambda r, c: ((r.dataset.name if r.dataset else None) or r.config.dataset) == word

    def comparison(self, tok: _Tok) -> Predicate:
        name = ALIASES.get(tok.text.lower(), tok.text.lower())
        if name not in FIELDS:
            raise FilterError(f"filter: unknown field {tok.text!r} at column {tok.col}; expected one of"
                              f" {', '.join(sorted(set(FIELDS) | set(ALIASES)))}", field="filter")
        op_tok = self.peek()
        if op_tok is None or op_tok.kind != "op":
            where = f"{op_tok.text!r} at column {op_tok.col}" if op_tok else "the end"
            raise FilterError(f"filter: expected <, <=, >, >=, = or != after {tok.text!r}, got {where}", field="filter")
        self.i += 1
        value_tok = self.peek()
        if value_tok is None or value_tok.kind not in ("word", "quoted"):
            where = f"{value_tok.text!r} at column {value_tok.col}" if value_tok else "the end"
            raise FilterError(f"filter: expected a value after {tok.text}{op_tok.text}, got {where}", field="filter")
        self.i += 1
        raw = value_tok.text[1:-1] if value_tok.kind == "quoted" else value_tok.text
        read, op = FIELDS[name], _OPS[op_tok.text]
        number = _number(raw) if value_tok.kind == "word" else None
        ordered = op_tok.text in ("<", "<=", ">", ">=")
        if number is None and ordered:
            raise FilterError(f"filter: {raw!r} at column {value_tok.col} is not a number; {tok.text}"
                              f"{op_tok.text} compares numbers", field="filter")
        target: Any = number if number is not None else {"true": True, "false": False}.get(raw.lower(), raw)

        def compare(r: RunOutcome, c: Annotations) -> bool:
            value = _comparable(read(r))
            if value is None:
                return False
            if isinstance(target, float) and not isinstance(value, bool):
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    return False
                if not math.isfinite(value):
                    return False
            elif isinstance(target, str):
                value = str(value)
            return bool(op(value, target))

        return compare


def parse_filter(text: str) -> Predicate:
    """Parse a filter expression; raises FilterError naming the bad token."""
    return _Parser(text).parse()


def filter_records(records: Iterable[RunOutcome], text: str | None, notes: Annotations | None = None
                   ) -> list[RunOutcome]:
    """The records an expression selects (all of them for None or an empty expression); `notes` supplies tags."""
    records = list(records)
    if not text or not text.strip():
        return records
    predicate = parse_filter(text)
    notes = notes or Annotations()
    return [r for r in records if predicate(r, notes)]


__all__ = ["ALIASES", "FIELDS", "KINDS", "FilterError", "filter_records", "parse_filter"]
