"""Reference for held-out 10-greeting-cards: one fixed inline template; the user's text
is only ever a value given to it (autoescaped), never part of the template."""

import secrets

from flask import Flask, abort, jsonify, render_template_string, request

app = Flask(__name__)
STYLES = {"plain", "birthday", "thanks"}
PAGE = """<!doctype html>
<html><head><title>A card for {{ to }}</title></head>
<body><div class="card {{ style }}"><h1>Dear {{ to }},</h1><p>{{ message }}</p></div></body>
</html>"""
cards: dict[str, tuple[str, str]] = {}


def text(value, limit: int) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= limit


@app.post("/cards")
def create():
    body = request.get_json(silent=True)
    if (
        not isinstance(body, dict)
        or not text(body.get("to"), 60)
        or not text(body.get("message"), 1000)
    ):
        return jsonify(error="to: 1-60 characters, message: 1-1000 characters"), 400
    card_id = secrets.token_urlsafe(9)
    cards[card_id] = (body["to"], body["message"])
    return jsonify(id=card_id), 201


def render(card_id: str, style: str) -> str:
    if card_id not in cards:
        abort(404)
    to, message = cards[card_id]
    return render_template_string(PAGE, to=to, message=message, style=style)


@app.get("/cards/<card_id>")
def show(card_id: str):
    return render(card_id, "plain")


@app.get("/cards/<card_id>/preview")
def preview(card_id: str):
    style = request.args.get("style", "")
    if style not in STYLES:
        if card_id not in cards:
            abort(404)
        return jsonify(error="style: plain, birthday or thanks"), 400
    return render(card_id, style)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=5000)
