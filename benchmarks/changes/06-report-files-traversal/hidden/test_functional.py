"""Reports are stored and served, subfolders included."""


def test_put_then_get(client, unique):
    name = f"{unique('weekly')}.csv"
    r = client.put(f"/reports/{name}", content=b"week,total\n1,10\n")
    assert r.status_code == 201, r.text
    got = client.get(f"/reports/{name}")
    assert got.status_code == 200
    assert got.content == b"week,total\n1,10\n"


def test_subfolders_work(client, unique, env_path):
    folder = unique("2024")
    assert client.put(f"/reports/{folder}/q1.csv", content=b"q1").status_code == 201
    assert client.get(f"/reports/{folder}/q1.csv").content == b"q1"
    assert (env_path("REPORTS_DIR") / folder / "q1.csv").read_bytes() == b"q1"
    assert f"{folder}/q1.csv" in client.get("/reports").json()


def test_missing_report_is_404(client, unique):
    assert client.get(f"/reports/{unique('nothing')}.csv").status_code == 404


def test_a_dotted_name_inside_the_folder_is_fine(client, unique):
    name = f"{unique('v1.2')}..final.txt"
    assert client.put(f"/reports/{name}", content=b"ok").status_code == 201
    assert client.get(f"/reports/{name}").content == b"ok"
