"""The complaints service's settings are one nested model, set per field through CRM_COMPLAINTS__<NAME>."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.complaints.domain import Stage
from services.complaints.main import build_desk, create_app
from shared.settings import ComplaintSettings, Settings


def test_stage_hours_set_in_the_environment_reach_the_desk_and_other_stages_keep_theirs(settings, monkeypatch):
    monkeypatch.setenv("CRM_COMPLAINTS__STAGE_HOURS", '{"review": 4}')
    desk = build_desk(Settings(data_dir=settings.data_dir))
    try:
        assert desk.hours[Stage.REVIEW] == 4
        assert desk.hours[Stage.ACKNOWLEDGEMENT] == 8
        assert desk.hours[Stage.INVESTIGATION] == 80
    finally:
        desk.close()


def test_every_complaint_setting_is_read_from_its_nested_variable(settings, monkeypatch):
    monkeypatch.setenv("CRM_COMPLAINTS__TRUST_FORWARDED_FOR", "true")
    monkeypatch.setenv("CRM_COMPLAINTS__COMMITTEE_FIXED_MEMBERS", '["m.karimi", "sg", "committee-1"]')
    monkeypatch.setenv("CRM_COMPLAINTS__PUBLIC_RATE_LIMIT", "2")
    monkeypatch.setenv("CRM_COMPLAINTS__DEADLINE_CHECK_SECONDS", "15")
    app = create_app(Settings(data_dir=settings.data_dir), relay=False)
    config = app.state.complaint_settings
    assert config.trust_forwarded_for is True
    assert config.committee_fixed_members == ("m.karimi", "sg", "committee-1")
    assert config.public_rate_limit == 2
    assert config.deadline_check_seconds == 15
    app.state.desk.close()


def test_the_old_flat_variables_no_longer_configure_complaints(settings, monkeypatch):
    monkeypatch.setenv("CRM_COMPLAINT_TRUST_FORWARDED_FOR", "true")
    assert Settings(data_dir=settings.data_dir).complaints.trust_forwarded_for is False


def test_an_unknown_stage_is_refused_when_the_desk_is_built(settings, monkeypatch):
    monkeypatch.setenv("CRM_COMPLAINTS__STAGE_HOURS", '{"reveiw": 4}')
    with pytest.raises(ValueError, match="unknown complaint stage 'reveiw'"):
        build_desk(Settings(data_dir=settings.data_dir))


def test_a_misspelt_or_invalid_complaint_setting_is_refused(settings, monkeypatch):
    monkeypatch.setenv("CRM_COMPLAINTS__PUBLIC_RATE_LIMT", "2")
    with pytest.raises(ValidationError, match="public_rate_limt"):
        Settings()
    with pytest.raises(ValidationError):
        ComplaintSettings(public_rate_limit=0)


def test_an_empty_variable_keeps_the_default_as_compose_passes_unset_ones(settings, monkeypatch):
    monkeypatch.setenv("CRM_COMPLAINTS__STAGE_HOURS", "")
    monkeypatch.setenv("CRM_COMPLAINTS__COMMITTEE_FIXED_MEMBERS", "")
    monkeypatch.setenv("CRM_CALENDAR", "")
    loaded = Settings(data_dir=settings.data_dir)
    assert loaded.complaints == ComplaintSettings()
    assert loaded.calendar is None


def test_the_default_committee_names_roles_not_people() -> None:
    config = ComplaintSettings()
    assert config.committee_fixed_members == (
        "member_relations_manager",
        "secretary_general",
        "strategic_planning_manager",
    )
    assert config.committee_sg == ("secretary_general",)
    assert "sg" not in config.committee_fixed_members


def test_the_president_is_a_role() -> None:
    from shared.auth import Role

    assert Role("president") == Role.PRESIDENT
