import pytest


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2 + 3 * 4", 14),
        ("(1 + 2) * -3", -9),
        ("7 / 2", 3.5),
        ("2 ** 10", 1024),
        ("0.5 + 0.25", 0.75),
    ],
)
def test_arithmetic(client, expression, expected):
    r = client.post("/calculate", json={"expression": expression})
    assert r.status_code == 200, r.text
    assert r.json()["result"] == pytest.approx(expected)


@pytest.mark.parametrize("expression", ["1 / 0", "2 +", "abc", "(1 + 2"])
def test_bad_expressions_are_400(client, expression):
    r = client.post("/calculate", json={"expression": expression})
    assert r.status_code == 400, r.text


def test_result_too_large_is_400(client):
    r = client.post("/calculate", json={"expression": "10 ** 200"})
    assert r.status_code == 400
