from testkit.http import activate, add_users, organisation_administrator, register_organisation


def test_an_organisation_administrator_can_add_a_user_who_then_activates(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    assert user["address"] == "peter.pan@westmids.cjsm.net"
    person = activate(client, user["username"], user["one_time_password"])
    assert person.get("/me").json()["role"] == "user"
