"""Owners and agents keep doing what they did."""

import pytest


def login(client, name):
    r = client.post("/login", json={"username": name, "password": "password-123"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def alice(client, unique):
    return login(client, unique("alice"))


@pytest.fixture
def agent(client):
    return login(client, "agent-smith")


def open_ticket(client, auth, subject="printer on fire"):
    r = client.post("/tickets", json={"subject": subject, "body": "help"}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_owner_reads_and_updates_own_ticket(client, alice):
    tid = open_ticket(client, alice)
    assert client.get(f"/tickets/{tid}", headers=alice).json()["subject"] == "printer on fire"
    r = client.patch(f"/tickets/{tid}", json={"body": "still burning"}, headers=alice)
    assert r.status_code == 200 and r.json()["body"] == "still burning"


def test_owner_lists_own_tickets(client, alice):
    tid = open_ticket(client, alice)
    assert tid in [t["id"] for t in client.get("/tickets", headers=alice).json()]


def test_agent_sees_and_closes_any_ticket(client, alice, agent):
    tid = open_ticket(client, alice)
    assert client.get(f"/tickets/{tid}", headers=agent).status_code == 200
    assert tid in [t["id"] for t in client.get("/tickets", headers=agent).json()]
    r = client.patch(f"/tickets/{tid}", json={"status": "closed"}, headers=agent)
    assert r.status_code == 200 and r.json()["status"] == "closed"


def test_customer_cannot_set_status(client, alice):
    tid = open_ticket(client, alice)
    assert (
        client.patch(f"/tickets/{tid}", json={"status": "closed"}, headers=alice).status_code == 403
    )
    assert client.get(f"/tickets/{tid}", headers=alice).json()["status"] == "open"


def test_missing_ticket_is_404(client, alice):
    assert client.get("/tickets/99999999", headers=alice).status_code == 404


def test_login_is_required(client):
    assert client.get("/tickets").status_code == 401
