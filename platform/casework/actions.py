"""What casework lets flows ask of it by name (civic.core.actions): open a case, move it on.

Both use the cases API's own schemas and service functions. A move is checked against the case type as
a request is: a transition that needs a role or a scope needs it of the principal the flow runs for."""
import marshmallow as ma

from civic.casework import schemas, service
from civic.core.actions import Action


class TransitionInput(schemas.TransitionRequestSchema):
    case_id = ma.fields.UUID(required=True, metadata={"description": "The case's id."})


CREATE_CASE = Action("casework.create_case", "Open a case of one of your case types, in its first state, its "
                     "clocks started (for example a crew's job when a report comes in).",
                     schemas.CaseSchema, schemas.CaseSchema, service.create_case)
TRANSITION = Action("casework.transition", "Move a case to another state its case type allows.",
                    TransitionInput, schemas.CaseSchema, service.transition, principal=True)
ACTIONS = (CREATE_CASE, TRANSITION)
