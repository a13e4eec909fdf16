"""Notes and attachments on a case. Keyword-only, tenant first; flush, never commit."""
import base64
import binascii
import uuid

from flask import current_app

from civic.casework import problems, storage
from civic.casework.models import Attachment, Note
from civic.casework.service import find_case, log_change
from civic.core import audit
from civic.core.db import session
from civic.core.errors import not_found
from civic.core.pagination import paginate
from civic.core.tenancy import scoped


def add_note(*, tenant_id: uuid.UUID, case_id, body: str, shareable: bool = False) -> Note:
    """A note on a case, internal unless `shareable`."""
    limit = current_app.config["CASEWORK_NOTE_MAX_CHARS"]
    if len(body) > limit:
        raise problems.NOTE_TOO_LARGE(f"A note is at most {limit} characters.", errors={"body": [f"At most {limit}."]})
    case = find_case(tenant_id, case_id, lock=False)
    note = Note(id=uuid.uuid4(), tenant_id=tenant_id, case_id=case.id, sandbox=case.sandbox, body=body,
                shareable=shareable, author=audit.current_actor())
    session.add(note)
    session.flush()
    log_change(case, "note_added", note_id=str(note.id), shareable=shareable)
    audit.personal_data_changed(component="casework", subject_type="case_note", ids=[note.id], tenant_id=tenant_id)
    return note


def list_notes(*, tenant_id: uuid.UUID, case_id, limit: int = 20, after: str | None = None) -> dict:
    case = find_case(tenant_id, case_id, lock=False)
    page = paginate(scoped(Note, tenant_id).where(Note.case_id == case.id), Note, limit=limit, after=after)
    audit.personal_data_read(component="casework", subject_type="case_note", ids=[n.id for n in page["items"]],
                             tenant_id=tenant_id)
    return page


def add_attachment(*, tenant_id: uuid.UUID, case_id, filename: str, content_base64: str) -> Attachment:
    """Store a file on a case: size limited; PDF, PNG, JPEG or plain text by its content."""
    case = find_case(tenant_id, case_id, lock=False)
    limit = current_app.config["CASEWORK_ATTACHMENT_MAX_BYTES"]
    if len(content_base64) > (limit + 2) // 3 * 4 + 4:  # longer than any encoding of `limit` bytes
        raise problems.ATTACHMENT_TOO_LARGE(f"An attachment is at most {limit} bytes.")
    try:
        data = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise problems.NOT_BASE64("`content_base64` is not valid base64.",
                                  errors={"content_base64": ["Not valid base64."]}) from None
    if len(data) > limit:
        raise problems.ATTACHMENT_TOO_LARGE(f"An attachment is at most {limit} bytes.")
    kind = storage.sniff(data)
    if kind is None:
        raise problems.ATTACHMENT_TYPE("Send a PDF, PNG, JPEG or plain-text file (checked by its content).")
    name = "".join(c for c in filename if c.isprintable() and c not in '/\\"')[-200:] or "attachment"
    digest = storage.storage().put(data)  # by content hash: a retried request stores the same file once
    attachment = Attachment(id=uuid.uuid4(), tenant_id=tenant_id, case_id=case.id, sandbox=case.sandbox, filename=name,
                            content_type=kind, size=len(data), sha256=digest, author=audit.current_actor())
    session.add(attachment)
    session.flush()
    log_change(case, "attachment_added", attachment_id=str(attachment.id), content_type=kind, size=len(data))
    return attachment


def list_attachments(*, tenant_id: uuid.UUID, case_id, limit: int = 20, after: str | None = None) -> dict:
    case = find_case(tenant_id, case_id, lock=False)
    return paginate(scoped(Attachment, tenant_id).where(Attachment.case_id == case.id), Attachment,
                    limit=limit, after=after)


def attachment_content(*, tenant_id: uuid.UUID, case_id, attachment_id) -> tuple[Attachment, bytes]:
    case = find_case(tenant_id, case_id, lock=False)
    try:
        wanted = uuid.UUID(str(attachment_id))
    except ValueError:
        raise not_found("attachment") from None
    attachment = session.scalars(scoped(Attachment, tenant_id).where(Attachment.id == wanted,
                                                                     Attachment.case_id == case.id)).first()
    if attachment is None or not attachment.sha256:  # an erased file's bytes are gone
        raise not_found("attachment")
    audit.record("casework.attachment_downloaded", tenant_id=tenant_id, subject_type="case_attachment",
                 subject_id=attachment.id)
    return attachment, storage.storage().get(attachment.sha256)
