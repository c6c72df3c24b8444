def test_home_pages_per_role(client_for):
    for username, role in [("admin", "admin"), ("leader", "leader"), ("depthead", "dept_head"),
                           ("union", "union"), ("teacher", "teacher"), ("homeroom", "teacher")]:
        client = client_for(username)
        response = client.get("/", follow_redirects=True)
        assert response.status_code == 200
        assert response.request.path == f"/home/{role}"
