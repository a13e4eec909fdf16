"""What reporting lets flows ask of it by name (civic.core.actions): move a report on, with a note.

It uses the reports API's schema and service function (`civic.reporting.status_changed` follows)."""
import marshmallow as ma

from civic.core.actions import Action
from civic.reporting import schemas, service


class StatusInput(schemas.StatusChangeSchema):
    report_id = ma.fields.UUID(required=True, metadata={"description": "The report's id."})


UPDATE_STATUS = Action("reporting.update_status", "Change a report's status (closing it with a reason), with a "
                       "note: staff-only unless `public`.", StatusInput, schemas.ReportSchema, service.change_status)
ACTIONS = (UPDATE_STATUS,)
