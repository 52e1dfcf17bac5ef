"""Journey 11, "The team": an owner invites colleagues by email, changes their roles, deactivates and
reactivates them; the roastery always keeps an owner who can sign in; staff who are not owners never reach
the team page.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select, text

from wholesale.extensions import db
from wholesale.models import Email, StaffUser
from wholesale.services import team
from wholesale.services.errors import ServiceError

from .conftest import STAFF_EMAIL, STAFF_PASSWORD, Forms

LEE = "lee@hillside.example"
LEE_PASSWORD = "walnut crema kettle ladder"
LINK = re.compile(r"http://portal\.test(/admin/password/[^\s\"<]+)")


def invite(forms: Forms, name: str, email: str, role: str = "staff"):
    return forms.post("/admin/team/invite", {"name": name, "email": email, "role": role}, page="/admin/team")


def emails_to(app, address: str) -> list[Email]:
    with app.app_context():
        return list(db.session.scalars(select(Email).where(Email.to_address == address).order_by(Email.id)))


def link_in(email: Email) -> str:
    """The password link's path, from the email's text (the HTML version carries the same one)."""
    [path] = set(LINK.findall(email.text_body))
    assert path in email.html_body
    return path


def account(app, email: str) -> StaffUser:
    with app.app_context():
        return db.session.scalar(select(StaffUser).where(StaffUser.email == email))


def add_colleague(app, email=LEE, name="Lee", role="staff", password=LEE_PASSWORD) -> int:
    with app.app_context():
        colleague = StaffUser(email=email, name=name, role=role, password_hash=None)
        if password:
            colleague.set_password(password)
        db.session.add(colleague)
        db.session.commit()
        return colleague.id


def signed_in(app, email: str, password: str):
    client = app.test_client()
    response = Forms(client).post("/admin/sign-in", {"email": email, "password": password})
    assert response.status_code == 303, response.status_code
    return client


def set_password(client, path: str, password: str, confirm: str | None = None):
    """Open the link as a browser does, then post the set-password form from its page."""
    opened = client.get(path)
    assert opened.status_code == 303 and opened.headers["Location"] == "/admin/password"
    return Forms(client).post(
        "/admin/password",
        {"password": password, "confirm": password if confirm is None else confirm},
        page="/admin/password",
    )


# --- Inviting ----------------------------------------------------------------------------------------------


def test_an_invited_colleague_sets_a_password_and_works_as_staff_but_never_reaches_the_team(
    app, staff_client, forms
):
    page = staff_client.get("/admin/team").get_data(as_text=True)
    assert "Sam" in page and STAFF_EMAIL in page and "Signed in as Sam (Owner)" in page

    response = invite(forms, "Lee Park", "  Lee@Hillside.example ")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/team"
    page = staff_client.get("/admin/team").get_data(as_text=True)
    assert "Invitation sent to lee@hillside.example." in page
    assert re.search(r"Lee Park.*?lee@hillside\.example.*?>Invited<.*?Sent ", page, re.S)
    lee = account(app, LEE)
    assert (lee.role, lee.password_hash, lee.active, lee.invited_by_id) == ("staff", None, True, 1)

    [invitation] = emails_to(app, LEE)
    assert invitation.kind == "staff_invitation" and invitation.status == "sent"
    assert "works for 7 days, once" in invitation.text_body
    path = link_in(invitation)

    lee_client = app.test_client()
    # The policy holds: a guessable password and two that differ are refused, and nothing is set.
    refused = set_password(lee_client, path, "password1234")
    assert refused.status_code == 400 and "Nothing was saved" in refused.get_data(as_text=True)
    refused = set_password(lee_client, path, LEE_PASSWORD, "walnut crema kettle ladde")
    assert refused.status_code == 400 and "The two passwords differ." in refused.get_data(as_text=True)
    assert account(app, LEE).password_hash is None

    done = set_password(lee_client, path, LEE_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/admin/"
    home = lee_client.get("/admin/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "Your password is set and you are signed in." in page and "Signed in as Lee Park (Staff)" in page
    assert "/admin/team" not in page  # no Team link for staff
    assert account(app, LEE).check_password(LEE_PASSWORD) and account(app, LEE).last_sign_in_at is not None

    page = staff_client.get("/admin/team").get_data(as_text=True)
    assert re.search(r"Lee Park.*?>Active<.*?Last sign-in: \w{3} ", page, re.S)

    # Staff who are not owners get a 403 page, for the page and for every form of it.
    refused = lee_client.get("/admin/team")
    assert refused.status_code == 403 and "Only an owner" in refused.get_data(as_text=True)
    refused = Forms(lee_client).post("/admin/team/invite", {"name": "Mo", "email": "mo@x.example"})
    assert refused.status_code == 403 and account(app, "mo@x.example") is None
    assert Forms(lee_client).post("/admin/team/1/role", {"role": "staff"}).status_code == 403
    assert account(app, STAFF_EMAIL).role == "owner"

    # The link worked once: opened again, in any browser, it is refused.
    for client in (lee_client, app.test_client()):
        again = client.get(path)
        assert again.status_code == 400 and "no longer valid" in again.get_data(as_text=True)
    # And the password page holds no link any more in Lee's session.
    assert lee_client.get("/admin/password").status_code == 400


def test_an_invitation_works_for_7_days(app, staff_client, forms):
    sent = datetime.now(UTC)
    invite(forms, "Lee", LEE)
    path = link_in(emails_to(app, LEE)[0])

    with time_machine.travel(sent + timedelta(days=7) - timedelta(minutes=1), tick=False):
        assert app.test_client().get(path).status_code == 303
    with time_machine.travel(sent + timedelta(days=7, minutes=1), tick=False):
        late = app.test_client()
        response = late.get(path)
        assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)
        assert late.get("/admin/password").status_code == 400
    assert account(app, LEE).password_hash is None


def test_a_link_opened_in_time_but_posted_after_it_expired_sets_nothing(app, staff_client, forms):
    sent = datetime.now(UTC)
    invite(forms, "Lee", LEE)
    path = link_in(emails_to(app, LEE)[0])
    with time_machine.travel(sent + timedelta(days=6), tick=False):
        client = app.test_client()
        assert client.get(path).status_code == 303
        token = Forms(client).token("/admin/password")
    with time_machine.travel(sent + timedelta(days=7, hours=1), tick=False):
        response = client.post(
            "/admin/password", data={"csrf_token": token, "password": LEE_PASSWORD, "confirm": LEE_PASSWORD}
        )
        assert response.status_code == 410
    assert account(app, LEE).password_hash is None


def test_an_invited_account_cannot_sign_in_before_its_password_is_set(app, staff_client, forms):
    invite(forms, "Lee", LEE)
    client = app.test_client()
    response = Forms(client).post("/admin/sign-in", {"email": LEE, "password": ""})
    assert response.status_code == 400 and client.get("/admin/").status_code == 302


def test_an_address_with_an_account_or_a_bad_form_is_refused_and_nothing_is_sent(app, staff_client, forms):
    add_colleague(app)
    response = invite(forms, "Lee again", LEE)
    assert response.status_code == 400
    assert "That address already has an account" in response.get_data(as_text=True)
    for data in (
        {"name": "", "email": "mo@hillside.example", "role": "staff"},
        {"name": "Mo", "email": "not an address", "role": "staff"},
        {"name": "Mo", "email": "mo@hillside.example", "role": "admin"},
    ):
        response = forms.post("/admin/team/invite", data)
        assert response.status_code == 400, data
    with app.app_context():
        assert db.session.scalar(select(Email.id)) is None
        assert [user.email for user in db.session.scalars(select(StaffUser).order_by(StaffUser.id))] == [
            STAFF_EMAIL,
            LEE,
        ]


def test_an_invitation_is_sent_again_with_a_fresh_link_until_it_is_accepted(app, staff_client, forms):
    invite(forms, "Lee", LEE, role="owner")
    lee_id = account(app, LEE).id
    response = forms.post(f"/admin/team/{lee_id}/resend")
    assert response.status_code == 303
    first, second = emails_to(app, LEE)
    assert second.kind == "staff_invitation" and "as an owner" in second.text_body
    # Either link sets the password; once set, neither works.
    assert set_password(app.test_client(), link_in(second), LEE_PASSWORD).status_code == 303
    assert app.test_client().get(link_in(first)).status_code == 400
    # An accepted invitation is not sent again.
    response = forms.post(f"/admin/team/{lee_id}/resend")
    assert "Only an invitation not yet accepted" in staff_client.get("/admin/team").get_data(as_text=True)
    assert len(emails_to(app, LEE)) == 2


def test_invitation_emails_are_for_their_recipient_only(app, staff_client, forms, monkeypatch):
    """Their link sets a password, so a colleague who is not an owner never reads one in the emails list;
    an owner does only where no mail leaves the machine (development)."""
    invite(forms, "Kai", "kai@hillside.example", role="owner")
    [invitation] = emails_to(app, "kai@hillside.example")
    path = link_in(invitation)
    add_colleague(app)
    lee = signed_in(app, LEE, LEE_PASSWORD)
    page = lee.get(f"/admin/emails/{invitation.id}").get_data(as_text=True)
    assert "only its recipient reads it" in page and path not in page
    assert lee.get(f"/admin/emails/{invitation.id}/html").status_code == 404
    assert path in staff_client.get(f"/admin/emails/{invitation.id}").get_data(as_text=True)
    monkeypatch.setattr(app.extensions["mail"], "suppress", False)  # mail goes out: production
    page = staff_client.get(f"/admin/emails/{invitation.id}").get_data(as_text=True)
    assert "only its recipient reads it" in page and path not in page
    assert staff_client.get(f"/admin/emails/{invitation.id}/html").status_code == 404


# --- Roles and the last owner ------------------------------------------------------------------------------


def test_owners_see_the_team_link_and_staff_do_not(app, staff_client):
    assert 'href="/admin/team"' in staff_client.get("/admin/").get_data(as_text=True)
    add_colleague(app)
    page = signed_in(app, LEE, LEE_PASSWORD).get("/admin/").get_data(as_text=True)
    assert 'href="/admin/team"' not in page and "Signed in as Lee (Staff)" in page


def test_the_last_owner_can_be_neither_demoted_nor_deactivated(app, staff_client, forms):
    add_colleague(app, "kai@hillside.example", "Kai", role="owner", password=None)  # invited: cannot sign in
    for action, data in (("role", {"role": "staff"}), ("deactivate", {})):
        response = forms.post(f"/admin/team/1/{action}", data)
        assert response.status_code == 303 and response.headers["Location"] == "/admin/team"
        page = staff_client.get("/admin/team").get_data(as_text=True)
        assert "The roastery needs at least one owner who can sign in" in page
    sam = account(app, STAFF_EMAIL)
    assert (sam.role, sam.active) == ("owner", True)
    assert staff_client.get("/admin/team").status_code == 200


def test_an_owner_makes_a_colleague_owner_then_steps_down(app, staff_client, forms):
    lee_id = add_colleague(app)
    lee = signed_in(app, LEE, LEE_PASSWORD)
    assert lee.get("/admin/team").status_code == 403
    assert forms.post(f"/admin/team/{lee_id}/role", {"role": "owner"}).status_code == 303
    assert lee.get("/admin/team").status_code == 200  # the role is read for every request

    response = forms.post("/admin/team/1/role", {"role": "staff"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/"
    assert staff_client.get("/admin/team").status_code == 403
    assert account(app, STAFF_EMAIL).role == "staff"
    # Now Lee is the last owner: Lee cannot step down either.
    Forms(lee).post(f"/admin/team/{lee_id}/role", {"role": "staff"})
    assert account(app, LEE).role == "owner"


def test_a_bad_role_changes_nothing(app, staff_client, forms):
    lee_id = add_colleague(app)
    for role in ("admin", "", "OWNER"):
        assert forms.post(f"/admin/team/{lee_id}/role", {"role": role}).status_code == 303
        assert account(app, LEE).role == "staff"
    assert forms.post("/admin/team/999/role", {"role": "owner"}).status_code == 303
    assert "That account does not exist." in staff_client.get("/admin/team").get_data(as_text=True)


# --- Deactivating ------------------------------------------------------------------------------------------


def test_deactivating_a_colleague_ends_their_open_session_at_its_next_request(app, staff_client, forms):
    lee_id = add_colleague(app)
    lee = signed_in(app, LEE, LEE_PASSWORD)
    assert lee.get("/admin/products").status_code == 200

    assert forms.post(f"/admin/team/{lee_id}/deactivate").status_code == 303
    response = lee.get("/admin/products")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/sign-in")
    page = staff_client.get("/admin/team").get_data(as_text=True)
    assert re.search(r"Lee.*?Deactivated", page, re.S) and "Reactivate" in page
    refused = Forms(app.test_client()).post("/admin/sign-in", {"email": LEE, "password": LEE_PASSWORD})
    assert refused.status_code == 400


def test_a_session_ended_by_deactivation_stays_ended_after_reactivation(app, staff_client, forms):
    """Deactivated while the session made no request, then reactivated: the old session is still over (the
    account's credentials version moved on); signing in again works."""
    lee_id = add_colleague(app)
    lee = signed_in(app, LEE, LEE_PASSWORD)
    forms.post(f"/admin/team/{lee_id}/deactivate")
    forms.post(f"/admin/team/{lee_id}/reactivate")
    assert account(app, LEE).active
    assert lee.get("/admin/products").status_code == 302
    assert signed_in(app, LEE, LEE_PASSWORD).get("/admin/products").status_code == 200


def test_an_owner_who_is_not_the_last_may_deactivate_themselves(app, staff_client, forms):
    add_colleague(app, role="owner")
    assert forms.post("/admin/team/1/deactivate").status_code == 303
    assert staff_client.get("/admin/").status_code == 302
    assert not account(app, STAFF_EMAIL).active


def test_deactivating_ends_an_invitation_link(app, staff_client, forms):
    invite(forms, "Lee", LEE)
    path = link_in(emails_to(app, LEE)[0])
    lee_id = account(app, LEE).id
    forms.post(f"/admin/team/{lee_id}/deactivate")
    assert app.test_client().get(path).status_code == 400
    forms.post(f"/admin/team/{lee_id}/reactivate")
    assert app.test_client().get(path).status_code == 400  # reactivating does not bring the old link back


# --- Two owners at the same moment (PostgreSQL) ---------------------------------------------------------------


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app):
    """Owner Sam demotes Kim while Kim demotes Sam. Kim's transaction has counted two owners and demoted Sam,
    not yet committed, when Sam's starts: Sam's count waits on Kim's lock, then sees one owner (Sam) left,
    and refuses to demote Kim. Without the lock, both would count two and the roastery would have none."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are PostgreSQL's (SQLite runs one writer at a time)")
        sam = StaffUser(email=STAFF_EMAIL, name="Sam", role="owner")
        kim = StaffUser(email="kim@hillside.example", name="Kim", role="owner")
        sam.set_password(STAFF_PASSWORD)
        kim.set_password(STAFF_PASSWORD)
        db.session.add_all([sam, kim])
        db.session.commit()
        sam_id, kim_id = sam.id, kim.id

    outcome = {}
    with app.app_context():
        kims_transaction = db.engine.connect()
        kims = kims_transaction.begin()
        # Kim's change_role, up to its commit: the same locking count, then the demotion.
        owners = kims_transaction.execute(
            text(
                "SELECT id FROM staff_user WHERE role = 'owner' AND active AND password_hash IS NOT NULL "
                "ORDER BY id FOR UPDATE"
            )
        ).scalars()
        assert sorted(owners) == [sam_id, kim_id]
        kims_transaction.execute(text("UPDATE staff_user SET role = 'staff' WHERE id = :id"), {"id": sam_id})

        def sam_demotes_kim():
            with app.app_context():
                try:
                    team.change_role(kim_id, "staff")
                    outcome["sam"] = "demoted Kim"
                except ServiceError as error:
                    outcome["sam"] = error.message
                finally:
                    db.session.remove()

        sam_thread = threading.Thread(target=sam_demotes_kim)
        sam_thread.start()
        time.sleep(0.5)
        assert sam_thread.is_alive(), f"Sam's change did not wait for Kim's lock: {outcome}"
        kims.commit()
        kims_transaction.close()
        sam_thread.join(10)

    assert outcome["sam"] == team.LAST_OWNER
    with app.app_context():
        roles = dict(db.session.execute(select(StaffUser.email, StaffUser.role)).all())
    assert roles == {STAFF_EMAIL: "staff", "kim@hillside.example": "owner"}


def test_two_owners_deactivating_each_other_at_once_leave_one_owner(app):
    """The same race through the service on both sides, a few times over: never zero owners."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are PostgreSQL's (SQLite runs one writer at a time)")
    for attempt in range(5):
        assert sorted(deactivate_each_other(app, attempt)) == ["done", "refused"]
        with app.app_context():
            assert db.session.scalar(select(func.count()).where(StaffUser.active.is_(True))) == 1


def deactivate_each_other(app, attempt: int) -> list[str]:
    with app.app_context():
        db.session.execute(delete(StaffUser))
        owners = [
            StaffUser(email=f"o{n}-{attempt}@hillside.example", name=f"O{n}", role="owner") for n in (1, 2)
        ]
        for owner in owners:
            owner.set_password(STAFF_PASSWORD)
        db.session.add_all(owners)
        db.session.commit()
        ids = [owner.id for owner in owners]
    start = threading.Barrier(2)
    results = []

    def deactivate(staff_id):
        with app.app_context():
            start.wait()
            try:
                team.deactivate_colleague(staff_id)
                results.append("done")
            except ServiceError:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=deactivate, args=(staff_id,)) for staff_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


# --- The command line ---------------------------------------------------------------------------------------


def test_the_first_account_made_on_the_command_line_is_an_owner(app, runner):
    refused = runner.invoke(args=["create-staff", LEE, "--role", "staff", "--password", LEE_PASSWORD])
    assert refused.exit_code != 0 and "needs an owner" in refused.output
    assert account(app, LEE) is None
    made = runner.invoke(args=["create-staff", STAFF_EMAIL, "--password", STAFF_PASSWORD + " x"])
    assert made.exit_code == 0 and "(owner)" in made.output
    made = runner.invoke(args=["create-staff", LEE, "--role", "staff", "--password", LEE_PASSWORD])
    assert made.exit_code == 0 and account(app, LEE).role == "staff"
    # Resetting a password keeps the role; the only owner cannot be made staff.
    runner.invoke(args=["create-staff", LEE, "--password", LEE_PASSWORD + " y"])
    assert account(app, LEE).role == "staff"
    refused = runner.invoke(args=["create-staff", STAFF_EMAIL, "--role", "staff", "--password", LEE_PASSWORD])
    assert refused.exit_code != 0 and account(app, STAFF_EMAIL).role == "owner"
