"""Adaptive Cards for the core's card data: specialists, Builder forms, welcome, test runs, checklist."""

from __future__ import annotations

from typing import Any

from microsoft_agents.activity import Attachment

ADAPTIVE = "application/vnd.microsoft.card.adaptive"
VERSION = "1.5"


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Attachment:
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": VERSION,
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return Attachment(content_type=ADAPTIVE, content=content)


def specialists_card(data: dict[str, Any]) -> Attachment:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": data.get("title", "Specialister"), "weight": "Bolder", "size": "Medium"}
    ]
    for item in data["items"]:
        title = item["name"] + (f" ({data.get('answers_here', 'svarer her')})" if item.get("in_use") else "")
        if item.get("status") != "published":
            title += f" · {data.get('draft', 'kladde')}"
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                            {
                                "type": "TextBlock",
                                "text": item.get("description") or " ",
                                "isSubtle": True,
                                "wrap": True,
                                "spacing": "None",
                            },
                        ],
                    },
                    _buttons_column(
                        [
                            (data.get("button", "Brug"), {"aarhusai": "use", "slug": item["slug"]}),
                            (
                                data.get("about_button", "Om"),
                                {"aarhusai": "command", "name": "om", "args": item["slug"]},
                            ),
                        ]
                    ),
                ],
            }
        )
    return _card(body)


def _button_column(title: str, submit: dict[str, Any]) -> dict[str, Any]:
    """A narrow column holding one button that submits ``submit`` (handled by the dispatcher's forms)."""
    return _buttons_column([(title, submit)])


def _buttons_column(buttons: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A narrow column of buttons, each submitting its data (handled by the dispatcher's forms)."""
    actions = [{"type": "Action.Submit", "title": title, "data": submit} for title, submit in buttons]
    return {
        "type": "Column",
        "width": "auto",
        "verticalContentAlignment": "Center",
        "items": [{"type": "ActionSet", "actions": actions}],
    }


def about_card(data: dict[str, Any]) -> Attachment:
    """The "Om specialisten" card: its facts as a FactSet (a Builder's texts shown as plain text)."""
    facts = [{"title": str(label), "value": _plain(str(value))} for label, value in data["facts"]]
    body = [
        {
            "type": "TextBlock",
            "text": _plain(data["title"]),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "FactSet", "facts": facts},
    ]
    return _card(body)


def actions_card(data: dict[str, Any]) -> Attachment:
    """Buttons under a message (an answer's "Om specialisten"): each runs a command as its presser."""
    return _card(
        [],
        [
            {
                "type": "Action.Submit",
                "title": b["title"],
                "data": {"aarhusai": "command", "name": b["command"], "args": b.get("args") or ""},
            }
            for b in data["buttons"]
        ],
    )


def _plain(text: str) -> str:
    """A Builder's text in a TextBlock or fact: one line, no markup and no link for Teams to render."""
    return _visible(" ".join(text.split())).replace("](", "] (")


def form_card(data: dict[str, Any]) -> Attachment:
    """A Builder's form (settings, screening, sharing): the reply it came with, a title, one input per
    field (help under it), one submit button. Submitted to the dispatcher's forms, which run the same
    service, validation and audit as the command."""
    body: list[dict[str, Any]] = []
    if data.get("intro"):
        body.append({"type": "TextBlock", "text": data["intro"], "wrap": True})
    body.append(
        {
            "type": "TextBlock",
            "text": data["title"],
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "separator": bool(data.get("intro")),
        }
    )
    if data.get("help"):
        body.append({"type": "TextBlock", "text": data["help"], "isSubtle": True, "wrap": True})
    for field in data["fields"]:
        body.append(_input(field))
        if field.get("help"):
            body.append(
                {
                    "type": "TextBlock",
                    "text": field["help"],
                    "isSubtle": True,
                    "wrap": True,
                    "spacing": "None",
                }
            )
    submit = data["submit"]
    return _card(body, [{"type": "Action.Submit", "title": submit["title"], "data": submit["data"]}])


def _input(field: dict[str, Any]) -> dict[str, Any]:
    kind = field["kind"]
    if kind == "note":
        return {"type": "TextBlock", "text": field["label"], "wrap": True}
    element: dict[str, Any] = {"id": field["id"], "label": field["label"]}
    if kind == "text":
        element |= {
            "type": "Input.Text",
            "value": field.get("value") or "",
            "maxLength": field.get("max", 500),
            "isMultiline": bool(field.get("multiline")),
        }
    elif kind == "number":
        element |= {"type": "Input.Number", "value": field["value"], "min": field["min"], "max": field["max"]}
    elif kind == "choice":
        element |= {
            "type": "Input.ChoiceSet",
            "choices": [{"title": c["title"], "value": c["value"]} for c in field["choices"]],
            "value": field.get("value") or "",
            "isMultiSelect": bool(field.get("multi")),
            "style": "expanded" if field.get("expanded") else "compact",
        }
    elif kind == "toggle":
        element |= {
            "type": "Input.Toggle",
            "title": field["title"],
            "value": field["value"],
            "valueOn": field["on"],
            "valueOff": field["off"],
        }
    else:
        raise ValueError(f"unknown form field kind {kind!r}")
    return element


def _visible(text: str) -> str:
    """Teams renders ``<word>`` in a TextBlock as markup and drops it: show usage placeholders as ‹word›."""
    return text.replace("<", "‹").replace(">", "›")


def welcome_card(text: str, data: dict[str, Any]) -> Attachment:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": data.get("title", "Velkommen til AarhusAI"),
            "weight": "Bolder",
            "size": "Large",
        },
        {"type": "TextBlock", "text": text, "wrap": True},
        {
            "type": "TextBlock",
            "text": "\n".join(f"- {_visible(line)}" for line in data["commands"]),
            "wrap": True,
        },
    ]
    actions = [
        {
            "type": "Action.Submit",
            "title": data.get("button", "Vis specialister"),
            "data": {"aarhusai": "command", "name": "specialister"},
        }
    ]
    return _card(body, actions)


def tests_card(data: dict[str, Any]) -> Attachment:
    """``/test kør``: passed x/y, then each failure with the answer, what was expected, what the run got
    and the passages retrieval found."""
    labels = data.get("labels", {})
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": data["title"], "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": data["summary"], "wrap": True},
    ]
    if data.get("all_passed"):
        body.append({"type": "TextBlock", "text": data["all_passed"], "color": "Good", "wrap": True})
    for failure in data.get("failures", []):
        facts = [
            {"title": labels.get("answer", "Svar"), "value": failure["answer"]},
            {"title": labels.get("expected", "Forventet"), "value": failure["expected"] or failure["detail"]},
        ]
        if failure.get("detail") and failure["expected"]:  # what the run saw where it failed
            facts.append({"title": labels.get("seen", "Fik"), "value": failure["detail"]})
        if failure.get("passages"):  # what retrieval found: file › section, how the passage begins
            facts.append(
                {"title": labels.get("found", "Fundne uddrag"), "value": "\n\n".join(failure["passages"])}
            )
        body += [
            {
                "type": "TextBlock",
                "text": failure["question"],
                "weight": "Bolder",
                "wrap": True,
                "separator": True,
            },
            {"type": "FactSet", "facts": facts},
        ]
    return _card(body)


def checklist_card(data: dict[str, Any]) -> Attachment:
    """The Builder's checklist: the reply it came with, then one row per step (mark, label, state,
    the command that completes it, a button where one completes it without arguments)."""
    body: list[dict[str, Any]] = []
    if data.get("intro"):
        body.append({"type": "TextBlock", "text": data["intro"], "wrap": True})
    body.append(
        {
            "type": "TextBlock",
            "text": data["title"],
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "separator": bool(data.get("intro")),
        }
    )
    colours = {"done": "Good", "missing": "Attention", "waiting": "Warning"}
    for item in data["items"]:
        facts: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": f"**{item['label']}**: {item['detail']}", "wrap": True}
        ]
        if item.get("action"):
            facts.append(
                {
                    "type": "TextBlock",
                    "text": _visible(item["action"]),
                    "isSubtle": True,
                    "wrap": True,
                    "spacing": "None",
                    "fontType": "Monospace",
                }
            )
        columns: list[dict[str, Any]] = [
            {
                "type": "Column",
                "width": "auto",
                "items": [
                    {
                        "type": "TextBlock",
                        "text": item["mark"],
                        "color": colours.get(item.get("state"), "Default"),
                    }
                ],
            },
            {"type": "Column", "width": "stretch", "items": facts},
        ]
        if item.get("button"):
            button = item["button"]
            columns.append(
                _button_column(button["title"], {"aarhusai": "command", "name": button["command"]})
            )
        body.append({"type": "ColumnSet", "columns": columns, "spacing": "Small"})
    if data.get("summary"):
        body.append({"type": "TextBlock", "text": data["summary"], "wrap": True, "separator": True})
    pending = data.get("pending")  # approvals waiting for the reader, each with its button
    if pending:
        if pending.get("title"):
            body.append(
                {"type": "TextBlock", "text": pending["title"], "weight": "Bolder", "separator": True}
            )
        buttons = pending.get("buttons") or [None] * len(pending["items"])
        for line, button in zip(pending["items"], buttons, strict=True):
            columns = [
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [{"type": "TextBlock", "text": f"- {line}", "wrap": True}],
                }
            ]
            if button:
                submit = {"aarhusai": "command", "name": button["command"], "args": button["args"]}
                columns.append(_button_column(button["title"], submit))
            body.append({"type": "ColumnSet", "columns": columns})
    return _card(body)


def notice_card(data: dict[str, Any]) -> Attachment:
    """A notification: its text, and buttons that run a command with its arguments (``/godkend
    <slug>``) as whoever presses them, through the same commands and checks as typing it."""
    actions = [
        {
            "type": "Action.Submit",
            "title": button["title"],
            "data": {"aarhusai": "command", "name": button["command"], "args": button.get("args") or ""},
        }
        for button in data.get("buttons") or []
    ]
    return _card([{"type": "TextBlock", "text": data["text"], "wrap": True}], actions)


def insights_card(data: dict[str, Any]) -> Attachment:
    """``/indsigt``: per specialist its themes, each with buttons that run ``/indsigt test <n>``,
    ``/indsigt spørgsmål <n>`` (and the verified-answer command) as whoever presses them."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": data["title"], "weight": "Bolder", "size": "Medium", "wrap": True},
        {"type": "TextBlock", "text": data.get("intro", ""), "isSubtle": True, "wrap": True},
    ]
    for section in data.get("sections", []):
        body.append({"type": "TextBlock", "text": section["title"], "wrap": True, "separator": True})
        for theme in section.get("themes", []):
            columns: list[dict[str, Any]] = [
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [{"type": "TextBlock", "text": theme["text"], "wrap": True}],
                }
            ]
            body.append({"type": "ColumnSet", "columns": columns, "spacing": "Small"})
            if theme.get("buttons"):
                body.append(
                    {
                        "type": "ActionSet",
                        "actions": [
                            {
                                "type": "Action.Submit",
                                "title": b["title"],
                                "data": {
                                    "aarhusai": "command",
                                    "name": b["command"],
                                    "args": b.get("args") or "",
                                },
                            }
                            for b in theme["buttons"]
                        ],
                    }
                )
    return _card(body)


def render(text: str, card: dict[str, Any]) -> Attachment | None:
    kind = card.get("type")
    if kind == "insights":
        return insights_card(card)
    if kind == "notice":
        return notice_card(card)
    if kind == "tests":
        return tests_card(card)
    if kind == "specialists":
        return specialists_card(card)
    if kind == "about":
        return about_card(card)
    if kind == "actions":
        return actions_card(card)
    if kind == "form":
        return form_card(card)
    if kind == "welcome":
        return welcome_card(text, card)
    if kind == "checklist":
        return checklist_card(card)
    return None


def card_text(content: dict[str, Any]) -> str:
    """An Adaptive Card as plain text, the way a terminal can show what Teams would render."""
    lines: list[str] = []

    def walk(elements: list[dict[str, Any]], indent: str = "") -> None:
        for el in elements:
            kind = el.get("type")
            if kind == "TextBlock" and str(el.get("text", "")).strip():
                lines.append(indent + str(el["text"]).strip())
            elif kind == "ColumnSet":
                parts: list[str] = []
                for column in el.get("columns", []):
                    sub: list[str] = []
                    _collect(column.get("items", []), sub)
                    parts += [p for p in sub if p.strip()]
                if parts:
                    lines.append(f"{indent}- " + " — ".join(parts))
            elif kind == "Container":
                walk(el.get("items", []), indent)
            elif kind == "FactSet":
                lines.extend(f"{indent}{f.get('title')}: {f.get('value')}" for f in el.get("facts", []))
            elif kind == "Input.Toggle":
                mark = "x" if el.get("value") == el.get("valueOn", "true") else " "
                lines.append(f"{indent}[{mark}] {el.get('title') or el.get('label')} [{el.get('id')}=]")
            elif kind and kind.startswith("Input."):  # [id=]: how the terminal's /kort names the field
                value = el.get("value", "")
                titles = {str(c.get("value")): str(c.get("title")) for c in el.get("choices", [])}
                if titles:  # a choice shows the chosen titles, as Teams does
                    value = ", ".join(titles.get(v, v) for v in str(value).split(",") if v)
                choices = ", ".join(titles.values())
                label = el.get("label") or el.get("title") or el.get("id")
                lines.append(
                    f"{indent}{label} [{el.get('id')}=]: {value}" + (f" ({choices})" if choices else "")
                )
            elif kind == "ActionSet":
                lines.append(indent + _actions(el.get("actions", [])))

    walk(content.get("body", []))
    if content.get("actions"):
        lines.append(_actions(content["actions"]))
    return "\n".join(lines)


def _collect(items: list[dict[str, Any]], out: list[str]) -> None:
    for el in items:
        if el.get("type") == "TextBlock" and str(el.get("text", "")).strip():
            out.append(str(el["text"]).strip())
        elif el.get("type") == "ActionSet":
            out.append(_actions(el.get("actions", [])))


def _actions(actions: list[dict[str, Any]]) -> str:
    shown = []
    for action in actions:
        data = action.get("data") or {}
        hint = ""
        if data.get("aarhusai") == "use":
            hint = f" → /brug {data.get('slug')}"
        elif data.get("aarhusai") == "command":
            args = f" {data['args']}" if isinstance(data.get("args"), str) and data["args"] else ""
            hint = f" → /{data.get('name')}{args}"
        shown.append(f"[{action.get('title')}{hint}]")
    return " ".join(shown)
