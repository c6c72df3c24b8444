"""CLI: create-admin and backup."""

import sqlite3

from sponsor_app.models import Role, School, User


def test_create_admin_on_an_empty_database(runner, db):
    result = runner.invoke(args=["create-admin", "--username", "Boss", "--school", "Trường THCS Mới"])
    assert result.exit_code == 0, result.output
    assert "Temporary password" in result.output
    user = db.session.query(User).filter_by(username="boss").one()
    assert user.roles == {Role.ADMIN, Role.TEACHER} and user.must_change_password
    assert db.session.query(School).one().name == "Trường THCS Mới"


def test_create_admin_refuses_a_taken_username(runner, world):
    result = runner.invoke(args=["create-admin", "--username", "admin"])
    assert result.exit_code != 0 and "already exists" in result.output


def test_create_admin_refuses_an_unknown_school(runner, world, db):
    """A name that matches no school must not attach the new admin to another (the first) school."""
    schools = db.session.query(School).count()
    result = runner.invoke(args=["create-admin", "--username", "second", "--school", "Trường THPT Chưa Có"])
    assert result.exit_code != 0
    assert "No school is named" in result.output and world.school.name in result.output  # lists the known ones
    assert db.session.query(User).filter_by(username="second").first() is None
    assert db.session.query(School).count() == schools


def test_create_admin_new_school_on_request(runner, world, db):
    result = runner.invoke(args=["create-admin", "--username", "second", "--school", "Trường THPT Mới",
                                 "--new-school"])
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(username="second").one()
    assert user.school.name == "Trường THPT Mới" and user.school_id != world.school.id
    again = runner.invoke(args=["create-admin", "--username", "third", "--school", "Trường THPT Mới",
                                "--new-school"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_admin_joins_the_named_school(runner, world, db):
    result = runner.invoke(args=["create-admin", "--username", "second", "--school", world.school.name])
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(username="second").one().school_id == world.school.id


def test_create_admin_without_a_school_name_among_several_schools(runner, world, db):
    result = runner.invoke(args=["create-admin", "--username", "second"])  # the world has two schools
    assert result.exit_code != 0 and "--school" in result.output
    assert db.session.query(User).filter_by(username="second").first() is None


def test_backup_writes_a_consistent_copy(runner, world, app, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        result = runner.invoke(args=["backup", str(tmp_path / "x.dump")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        return
    target = tmp_path / "copy.sqlite"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == db_count(app, User)
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "exists" in again.output


def db_count(app, model):
    from sponsor_app.extensions import db

    return db.session.query(model).count()


def test_create_admin_stores_the_login_identity(runner, db):
    result = runner.invoke(args=["create-admin", "--username", " Ｈｉｅｕ\u200bTruong ", "--school", "Trường THCS Mới"])
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(username="hieutruong").one()
