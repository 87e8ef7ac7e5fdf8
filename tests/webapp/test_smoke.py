from tests.webapp.conftest import start_case

def test_pages(client, auth, engine, case):
    assert client.get("/").status_code == 302
    assert auth.login("handler").status_code == 302
    r = client.get("/")
    assert r.status_code == 200, r.text
    print(r.text[:3000])
    tid = case.tasks[0].id
    r = client.get(f"/tasks/{tid}"); assert r.status_code == 200, r.text
    r = client.post(f"/tasks/{tid}/claim"); assert r.status_code == 302
    r = client.post(f"/tasks/{tid}/complete", data={"visit_notes": "x"}); assert r.status_code == 400, r.text
    assert "必填" in r.text or "required" in r.text
    r = client.post(f"/tasks/{tid}/complete", data={"visit_notes": "x", "visit_date": "2025-04-17"}); assert r.status_code == 302, r.text
    r = client.get(r.location); assert r.status_code == 200
    r = client.get(f"/cases/{case.id}"); assert r.status_code == 200, r.text
    auth.logout(); auth.login("coordinator")
    for url in ["/ledger/", "/deployments/", "/cases/new"]:
        r = client.get(url); assert r.status_code in (200, 403), (url, r.text)
