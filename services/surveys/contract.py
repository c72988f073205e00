"""The surveys service's published events: questionnaires (form ME-FR-02-01-01) and the life of each survey, project
or periodic (topic `crm.surveys.events.v1`).

The wire types are declared here, once, and never derived from class names (see services/calls/contract.py).
After any change run `make contracts` and commit the JSON Schema files under `contracts/surveys/`.
"""

from shared.contracts import EventContract

CONTRACT = EventContract(
    "surveys",
    {
        "crm.surveys.questionnaire.created.v1": "services.surveys.domain.questionnaire:Questionnaire.Created",
        "crm.surveys.questionnaire.revised.v1": "services.surveys.domain.questionnaire:Questionnaire.Revised",
        "crm.surveys.survey.requested.v1": "services.surveys.domain.survey:Survey.Requested",
        "crm.surveys.survey.approved.v1": "services.surveys.domain.survey:Survey.Approved",
        "crm.surveys.survey.rejected.v1": "services.surveys.domain.survey:Survey.Rejected",
        "crm.surveys.survey.members_supplied.v1": "services.surveys.domain.survey:Survey.MembersSupplied",
        "crm.surveys.survey.members_approved.v1": "services.surveys.domain.survey:Survey.MembersApproved",
        "crm.surveys.survey.delegated.v1": "services.surveys.domain.survey:Survey.Delegated",
        "crm.surveys.survey.questionnaire_edited.v1": "services.surveys.domain.survey:Survey.QuestionnaireEdited",
        "crm.surveys.survey.meeting_recorded.v1": "services.surveys.domain.survey:Survey.MeetingRecorded",
        "crm.surveys.survey.timing_set.v1": "services.surveys.domain.survey:Survey.TimingSet",
        "crm.surveys.survey.started.v1": "services.surveys.domain.survey:Survey.Started",
        "crm.surveys.survey.closed.v1": "services.surveys.domain.survey:Survey.Closed",
        "crm.surveys.survey.links_issued.v1": "services.surveys.domain.survey:Survey.LinksIssued",
        "crm.surveys.survey.link_issued.v1": "services.surveys.domain.link:SurveyLink.Issued",
        "crm.surveys.survey.weekly_summary_recorded.v1": "services.surveys.domain.survey:Survey.WeeklySummaryRecorded",
        "crm.surveys.survey.complaint_raised.v1": "services.surveys.domain.survey:Survey.ComplaintRaised",
        "crm.surveys.contact.opened.v1": "services.surveys.domain.contact:Contact.Opened",
        "crm.surveys.contact.attempt_recorded.v1": "services.surveys.domain.contact:Contact.AttemptRecorded",
        "crm.surveys.contact.declined.v1": "services.surveys.domain.contact:Contact.Declined",
        "crm.surveys.contact.not_reached.v1": "services.surveys.domain.contact:Contact.NotReached",
        "crm.surveys.contact.responded.v1": "services.surveys.domain.contact:Contact.Responded",
        "crm.surveys.contact.dissatisfaction_recorded.v1": "services.surveys.domain.contact:Contact.DissatisfactionRecorded",
    },
)
