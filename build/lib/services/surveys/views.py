"""Read-side shapes of the surveys: the plain records the API returns and the index stores, never the aggregates."""

from __future__ import annotations

from typing import Any

from services.surveys.domain import FORM, Contact, Questionnaire, Survey


def questionnaire_record(q: Questionnaire) -> dict[str, Any]:
    return {
        "id": str(q.id),
        "form": FORM,
        "code": q.code,
        "title": q.title,
        "latest_version": q.latest,
        "versions": [
            {"number": v["number"], "questions": v["questions"], "by": v["by"], "at": v["at"], "note": v["note"]}
            for v in q.versions
        ],
        "created_at": q.created_at,
    }


def survey_record(s: Survey) -> dict[str, Any]:
    """The plain view of a survey the API returns; the member list is counted here and paged elsewhere."""
    return {
        "id": str(s.id),
        "version": s.version,
        "form": FORM,
        "kind": s.kind,
        "subject": s.subject,
        "unit": s.unit,
        "runner": s.runner,
        "period": s.period,
        "frequency": s.frequency,
        "stage": s.stage,
        "questionnaire_id": s.questionnaire_id,
        "questionnaire_version": s.questionnaire_version,
        "requested_by": s.requested_by,
        "requested_at": s.requested_at,
        "approved_by": s.approved_by,
        "rejection": s.rejection,
        "delegations": [dict(d) for d in s.delegations],
        "member_list_size": len(s.member_list),
        "list_source": dict(s.list_source) if s.list_source else None,
        "list_approved_by": s.list_approved_by,
        "edits": [dict(e) for e in s.edits],
        "meeting_needed": s.meeting_needed,
        "meetings": [dict(m) for m in s.meetings],
        "starts_on": s.starts_on,
        "ends_on": s.ends_on,
        "timing_by": s.timing_by,
        "members_asked": len(s.members),
        "blockers": s.blockers(),
        "started_at": s.started_at,
        "closed_at": s.closed_at,
        "updated_at": s.updated_at,
    }


def contact_record(c: Contact) -> dict[str, Any]:
    return {
        "survey_id": c.survey_id,
        "membership_number": c.membership_number,
        "status": c.status,
        "attempts": [dict(a) for a in c.attempts],
        "attempts_left": c.attempts_left,
        "line_to_use": c.line_to_use,
        "next_attempt_at": c.next_attempt_at,
        "answers": dict(c.answers) if c.answers is not None else None,
        "channel": c.channel,
        "services_introduced": list(c.services_introduced),
        "responded_at": c.responded_at,
        "complaint_ref": c.complaint["source_ref"] if c.complaint else None,
    }
