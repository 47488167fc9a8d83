import html


def card(client, to, message):
    r = client.post("/cards", json={"to": to, "message": message})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_card_page_shows_name_and_message(client):
    card_id = card(client, "Grandma", "Happy 90th birthday!")
    r = client.get(f"/cards/{card_id}")
    assert r.status_code == 200
    assert "text/html" in r.headers["content-type"]
    assert "Dear Grandma," in r.text and "Happy 90th birthday!" in r.text


def test_text_appears_as_typed(client):
    card_id = card(client, "Tom & Jerry", "5 < 6 and {curly} braces")
    text = html.unescape(client.get(f"/cards/{card_id}").text)
    assert "Tom & Jerry" in text and "5 < 6 and {curly} braces" in text


def test_preview_uses_the_style(client):
    card_id = card(client, "Sam", "Thanks for the help")
    r = client.get(f"/cards/{card_id}/preview", params={"style": "thanks"})
    assert r.status_code == 200 and "thanks" in r.text and "Thanks for the help" in r.text
    assert client.get(f"/cards/{card_id}/preview", params={"style": "neon"}).status_code == 400


def test_unknown_card_is_404(client):
    assert client.get("/cards/does-not-exist").status_code == 404


def test_invalid_cards_are_400(client):
    assert client.post("/cards", json={"to": "", "message": "x"}).status_code == 400
    assert client.post("/cards", json={"to": "x" * 61, "message": "x"}).status_code == 400
    assert client.post("/cards", json={"to": "Ann"}).status_code == 400
