def render(client, template, values):
    return client.post("/render", json={"template": template, "values": values})


def test_placeholders_are_replaced(client):
    r = render(client, "Hello {{ name }}, your order {{order_id}} shipped.", {
        "name": "Ann", "order_id": "A-17",
    })  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "Hello Ann, your order A-17 shipped."


def test_other_text_is_copied_unchanged(client):
    text = "50% off {today} only: <b>sale</b> & more"
    r = render(client, text, {})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == text


def test_repeated_placeholder(client):
    r = render(client, "{{ x }}-{{ x }}", {"x": "7"})
    assert r.json()["text"] == "7-7"


def test_placeholder_without_value_is_400(client):
    assert render(client, "Dear {{ customer }}", {"name": "Ann"}).status_code == 400


def test_template_is_required(client, invalid):
    assert invalid(client.post("/render", json={"values": {}}))
