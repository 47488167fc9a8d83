"""GET /me/loans lists the caller's current loans, newest first."""

import time


def member(client, unique):
    name = unique("reader")
    creds = {"username": name, "password": "a-long-password"}
    assert client.post("/register", json=creds).status_code == 201
    r = client.post("/login", json=creds)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def book(client, auth, title):
    r = client.post("/books", json={"title": title}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_new_member_has_no_loans(client, unique):
    r = client.get("/me/loans", headers=member(client, unique))
    assert r.status_code == 200
    assert r.json() == []


def test_loans_are_listed_newest_first(client, unique):
    auth = member(client, unique)
    first, second = book(client, auth, unique("Emma")), book(client, auth, unique("Persuasion"))
    assert client.post(f"/books/{first}/borrow", headers=auth).status_code == 201
    time.sleep(0.01)
    assert client.post(f"/books/{second}/borrow", headers=auth).status_code == 201
    r = client.get("/me/loans", headers=auth)
    assert r.status_code == 200
    loans = r.json()
    assert [loan["book_id"] for loan in loans] == [second, first]
    assert all({"book_id", "title", "borrowed_at"} <= set(loan) for loan in loans)
    assert loans[1]["title"].startswith("Emma")


def test_returned_books_are_not_listed(client, unique):
    auth = member(client, unique)
    kept, returned = book(client, auth, unique("Kept")), book(client, auth, unique("Back"))
    for book_id in (kept, returned):
        assert client.post(f"/books/{book_id}/borrow", headers=auth).status_code == 201
    assert client.post(f"/books/{returned}/return", headers=auth).status_code == 200
    assert [loan["book_id"] for loan in client.get("/me/loans", headers=auth).json()] == [kept]


def test_borrowing_still_works(client, unique):
    auth = member(client, unique)
    book_id = book(client, auth, unique("Ulysses"))
    assert client.post(f"/books/{book_id}/borrow", headers=auth).status_code == 201
    assert client.post(f"/books/{book_id}/borrow", headers=auth).status_code == 409
