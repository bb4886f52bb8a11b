"""Adaptive Cards for the core's card data: specialist catalogue, Builder settings, welcome."""

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
        {"type": "TextBlock", "text": "Specialister", "weight": "Bolder", "size": "Medium"}
    ]
    for item in data["items"]:
        title = item["name"] + (" (svarer her)" if item.get("in_use") else "")
        if item.get("status") != "published":
            title += " · kladde"
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
                    {
                        "type": "Column",
                        "width": "auto",
                        "verticalContentAlignment": "Center",
                        "items": [
                            {
                                "type": "ActionSet",
                                "actions": [
                                    {
                                        "type": "Action.Submit",
                                        "title": "Brug",
                                        "data": {"aarhusai": "use", "slug": item["slug"]},
                                    }
                                ],
                            },
                        ],
                    },
                ],
            }
        )
    return _card(body)


def settings_card(data: dict[str, Any]) -> Attachment:
    models = [{"title": "Standard (katalogets)", "value": ""}] + [
        {"title": m, "value": m} for m in data["models"]
    ]
    body = [
        {
            "type": "TextBlock",
            "text": f"Indstillinger for {data['name']}",
            "weight": "Bolder",
            "size": "Medium",
        },
        {
            "type": "Input.Text",
            "id": "prompt",
            "label": "Prompt",
            "isMultiline": True,
            "value": data["prompt"],
            "maxLength": 8000,
        },
        {
            "type": "Input.ChoiceSet",
            "id": "model",
            "label": "Sprogmodel",
            "choices": models,
            "value": data["model"],
        },
        {
            "type": "Input.Number",
            "id": "temperatur",
            "label": "Temperatur (0–2)",
            "min": 0,
            "max": 2,
            "value": data["temperature"],
        },
        {
            "type": "Input.Number",
            "id": "top_k",
            "label": "Kildeuddrag pr. svar (1–20)",
            "min": 1,
            "max": 20,
            "value": data["top_k"],
        },
    ]
    actions = [
        {"type": "Action.Submit", "title": "Gem", "data": {"aarhusai": "save_settings", "slug": data["slug"]}}
    ]
    return _card(body, actions)


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


def render(text: str, card: dict[str, Any]) -> Attachment | None:
    kind = card.get("type")
    if kind == "specialists":
        return specialists_card(card)
    if kind == "settings":
        return settings_card(card)
    if kind == "welcome":
        return welcome_card(text, card)
    return None
