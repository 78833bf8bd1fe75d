"""One signature for actions: the person acting is the keyword-only `by`, typed, and
every action says what it returns. An action the system runs (the worker's outcomes,
the outbox's claims) has no actor at all, never one under another name."""

import ast
import pathlib

import facturier

SRC = pathlib.Path(facturier.__file__).parent
ACTOR_NAMES = {"by", "user", "actor", "staff_member"}


def _actions():
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Name) and d.id == "action" for d in node.decorator_list
            ):
                yield f"{path.relative_to(SRC)}:{node.lineno} {node.name}", node


def test_there_are_actions_to_check():
    assert sum(1 for _ in _actions()) > 50


def test_the_actor_is_the_keyword_only_by_typed_user():
    wrong = []
    for where, node in _actions():
        positional = {a.arg for a in node.args.posonlyargs + node.args.args}
        keyword = {a.arg: a for a in node.args.kwonlyargs}
        if positional & ACTOR_NAMES or (set(keyword) - {"by"}) & ACTOR_NAMES:
            wrong.append(f"{where}: the actor is not the keyword-only `by`")
        elif "by" in keyword:
            annotation = keyword["by"].annotation
            if annotation is None or "User" not in ast.unparse(annotation):
                wrong.append(f"{where}: `by` is not typed User")
    assert not wrong, "\n".join(wrong)


def test_every_action_says_what_it_returns():
    missing = [where for where, node in _actions() if node.returns is None]
    assert not missing, "\n".join(missing)
