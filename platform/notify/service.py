"""Notify business logic: configuration, templates, messages and opt-outs. Keyword-only, tenant first; flush only."""
import datetime as dt
import hashlib
import hmac
import json
import uuid

import sqlalchemy as sa
from flask import current_app
from notifications_python_client.errors import APIError

from civic.core import audit, crypto, jobs
from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.pagination import paginate
from civic.core.tenancy import current_world_is_sandbox, get_scoped, scoped
from civic.notify import events, notify_api, problems, recipients, schemas, unsubscribe
from civic.notify.models import Config, Message, OptOut, Template

SEND_JOB = "notify.send"


def token_hash(token: str) -> str:
    return hashlib.sha256(f"civic-notify-callback:{token}".encode()).hexdigest()


# --- configuration ------------------------------------------------------------------
def current_config(*, tenant_id: uuid.UUID, required: bool = True) -> Config | None:
    config = session.scalars(scoped(Config, tenant_id)).first()
    if config is None and required:
        raise problems.NOT_CONFIGURED("Your organisation has not set up GOV.UK Notify: PUT /v1/notify/config first.")
    return config


def get_config(*, tenant_id: uuid.UUID) -> Config:
    return current_config(tenant_id=tenant_id)


def put_config(*, tenant_id: uuid.UUID, api_key: str | None = None, key_type: str, callback_token: str | None = None,
               **fields) -> Config:
    """Set the organisation's Notify key and options (the key and callback token are stored encrypted/hashed)."""
    config = session.scalars(scoped(Config, tenant_id).with_for_update().execution_options(populate_existing=True)).first()
    if config is None:
        if not api_key:
            raise problems.INVALID_KEY("Give your Notify API key (`api_key`) the first time.",
                                       errors={"api_key": ["Required the first time."]})
        config = Config(id=uuid.uuid4(), tenant_id=tenant_id)
        session.add(config)
    if api_key:
        parts = notify_api.parse_key(api_key)
        config.key_ciphertext = crypto.encrypt(api_key.strip())
        config.key_name, config.service_id = parts["key_name"], parts["service_id"]
    config.key_type = key_type
    if callback_token is not None:
        config.callback_token_hash = token_hash(callback_token) if callback_token else None
    for name, value in fields.items():
        setattr(config, name, value)
    session.flush()
    audit.record("notify.config_set", tenant_id=tenant_id, subject_type="notify_config", subject_id=config.id,
                 detail={"fields": sorted(["key_type", *fields, *(["api_key"] if api_key else []),
                                           *(["callback_token"] if callback_token is not None else [])])})
    return config


def delete_config(*, tenant_id: uuid.UUID) -> None:
    config = current_config(tenant_id=tenant_id)
    audit.record("notify.config_deleted", tenant_id=tenant_id, subject_type="notify_config", subject_id=config.id)
    session.delete(config)
    session.flush()


# --- templates ------------------------------------------------------------------------
def _fields_of(answer: dict) -> list[str]:
    from civic.notify.simulator import placeholders

    declared = answer.get("personalisation")
    names = list(declared) if isinstance(declared, dict) else placeholders(answer.get("subject"), answer.get("body"))
    return [name for name in names if not name.startswith("address_line_")]


def save_template(*, tenant_id: uuid.UUID, name: str, notify_template_id: uuid.UUID, channel: str,
                  reference=None, metadata_=None) -> Template:
    """Map one of the organisation's names to a Notify template, reading from Notify what it needs."""
    config = current_config(tenant_id=tenant_id)
    try:
        answer = notify_api.client_for(config).get_template(str(notify_template_id))
    except APIError as error:
        notify_api.raise_for_request(error, "template")
    if answer.get("type") != channel:
        raise problems.TEMPLATE_MISMATCH(f"Notify says this is a {answer.get('type')} template, not {channel}.",
                                         errors={"channel": [f"Notify says: {answer.get('type')}."]})
    template = session.scalars(scoped(Template, tenant_id).where(Template.name == name).with_for_update()
                               .execution_options(populate_existing=True)).first()
    if template is None:
        template = Template(id=uuid.uuid4(), tenant_id=tenant_id, name=name)
        template.created_now = True  # the route answers 201 for a new name, 200 for one read again
        session.add(template)
    template.notify_template_id, template.channel = str(notify_template_id), channel
    template.fields, template.notify_name, template.version = _fields_of(answer), answer.get("name"), answer.get("version")
    template.reference, template.metadata_ = reference, metadata_ or {}
    session.flush()
    return template


def list_templates(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None) -> dict:
    return paginate(scoped(Template, tenant_id), Template, limit=limit, after=after)


def get_template(*, tenant_id: uuid.UUID, template_id) -> Template:
    return get_scoped(Template, tenant_id, template_id, what="template")


def delete_template(*, tenant_id: uuid.UUID, template_id) -> None:
    session.delete(get_scoped(Template, tenant_id, template_id, what="template", lock=True))
    session.flush()


def find_template(*, tenant_id: uuid.UUID, template: str) -> Template:
    """A template by the organisation's name for it, or by its Notify id."""
    query = scoped(Template, tenant_id)
    found = session.scalars(query.where(Template.name == template)).first() or \
        session.scalars(query.where(Template.notify_template_id == template.lower())).first()
    if found is None:
        raise problems.TEMPLATE_NOT_FOUND(f"No template named {template!r}: register it with POST /v1/notify/templates.",
                                          errors={"template": ["Unknown template."]})
    return found


def preview(*, tenant_id: uuid.UUID, template_id, personalisation: dict) -> dict:
    """The message as Notify would write it, from Notify's preview endpoint."""
    template = get_template(tenant_id=tenant_id, template_id=template_id)
    _check_personalisation(template, personalisation)
    config = current_config(tenant_id=tenant_id)
    try:
        answer = notify_api.client_for(config).post_template_preview(template.notify_template_id, personalisation)
    except APIError as error:
        notify_api.raise_for_request(error, "template")
    return {"template": template.name, "channel": template.channel, "subject": answer.get("subject"),
            "body": answer.get("body"), "html": answer.get("html"), "postage": answer.get("postage")}


def _check_personalisation(template: Template, personalisation: dict) -> None:
    gaps = recipients.missing(template.fields, personalisation)
    if gaps:
        raise problems.MISSING_PERSONALISATION(f"The template {template.name!r} needs: {', '.join(gaps)}.",
                                               errors={"personalisation": {f: ["Missing."] for f in gaps}})


# --- messages ---------------------------------------------------------------------------
def retention(config: Config) -> dt.timedelta:
    return dt.timedelta(days=config.retention_days or current_app.config["NOTIFY_RETENTION_DAYS"])


OPT_OUT_LOOKUP_CHUNK = 3000


def opted_out(*, tenant_id: uuid.UUID, channel: str, purpose: str, keys: dict[str, list[str]]) -> set[str]:
    """Which of these addresses opted out: `keys` maps each address's current key to every key it may be kept
    under (recipients.opt_out_keys); the answer holds current keys. A row found under an older form is
    rewritten under the current key now (a migration cannot: it does not know the address)."""
    current_of = {form: current for current, forms in keys.items() for form in forms}
    forms, found = list(current_of), set()
    for start in range(0, len(forms), OPT_OUT_LOOKUP_CHUNK):
        rows = session.execute(scoped(OptOut, tenant_id).with_only_columns(OptOut.id, OptOut.recipient_hash).where(
            OptOut.channel == channel, OptOut.purpose.in_((purpose, schemas.EVERY_PURPOSE)),
            OptOut.recipient_hash.in_(forms[start:start + OPT_OUT_LOOKUP_CHUNK]))).all()
        for opt_out_id, stored in rows:
            found.add(current_of[stored])
            if stored != current_of[stored]:
                _rewrite_opt_out(opt_out_id, current_of[stored])
    return found


RECIPIENT_FIELD = {"email": "email_address", "sms": "phone_number"}


def opt_out_covers(*, tenant_id: uuid.UUID, opt_out_id, addresses: list[str]) -> dict:
    """`notify.opt_out_covers`: which of these email addresses (or phone numbers) that one opt-out stands for
    (it keeps only a keyed hash of its address)."""
    opt_out = session.scalars(scoped(OptOut, tenant_id).where(OptOut.id == opt_out_id)).first()
    if opt_out is None:  # lifted or deleted since: it stands for nobody now
        return {"covered": []}
    covered = []
    for value in addresses:
        recipient, address, errors = recipients.check(opt_out.channel, {RECIPIENT_FIELD.get(opt_out.channel, ""): value})
        if not errors and opt_out.recipient_hash in recipients.opt_out_keys(opt_out.channel, recipient, address):
            covered.append(value)
    return {"covered": covered}


def _rewrite_opt_out(opt_out_id: uuid.UUID, key: str) -> bool:
    """Keep an opt-out found under an older key under the current one (False if a row under it exists already:
    then both stay, and either blocks)."""
    import sqlalchemy.exc

    try:
        with session.begin_nested():
            session.execute(sa.update(OptOut).where(OptOut.id == opt_out_id)
                            .values(recipient_hash=key, key_version=recipients.KEY_VERSION)
                            .execution_options(synchronize_session=False))
    except sqlalchemy.exc.IntegrityError:
        return False
    return True


def build_message(*, tenant_id: uuid.UUID, config: Config, template: Template, item: dict, purpose: str,
                  essential: bool, postage: str | None, batch_id=None, row_number=None, reference=None,
                  metadata_=None, link=None, sandbox: bool) -> tuple[Message | None, dict]:
    """A message for one recipient, checked; (None, errors by field) when it cannot be sent."""
    recipient, address, errors = recipients.check(template.channel, item)
    personalisation = dict(item.get("personalisation") or {})
    secret = dict(item.get("secret_personalisation") or {})
    filled_here = {unsubscribe.FIELD} if template.channel == "email" and not essential else set()
    gaps = [f for f in recipients.missing(template.fields, {**personalisation, **secret}) if f not in filled_here]
    if gaps:
        errors["personalisation"] = {f: ["Missing."] for f in gaps}
    stray = sorted(set(secret) - set(template.fields))
    if stray:  # a secret goes only where the template says: never content of its own
        errors["secret_personalisation"] = {f: ["Not a field of this template."] for f in stray}
    if errors:
        return None, errors
    message = Message(id=uuid.uuid4(), tenant_id=tenant_id, sandbox=sandbox, channel=template.channel,
                      template_name=template.name, notify_template_id=template.notify_template_id,
                      recipient=recipient, address=address, personalisation=personalisation,
                      postage=postage if template.channel == "letter" else None, status="queued", purpose=purpose,
                      essential=essential, batch_id=batch_id, row_number=row_number, reference=reference,
                      metadata_=metadata_ or {}, link_type=(link or {}).get("type"),
                      link_id=(link or {}).get("id"), purge_after=utcnow() + retention(config),
                      secret_encrypted=crypto.encrypt(json.dumps(secret)) if secret else None)
    if message.channel == "email" and not essential:
        message.unsubscribe_url = unsubscribe.link(
            tenant_id=tenant_id, message=message, key=recipients.opt_out_key("email", recipient, None))
    return message, {}


def send_message(*, tenant_id: uuid.UUID, template: str, purpose: str = "service", essential: bool = True,
                 postage: str | None = None, reference=None, metadata_=None, link=None, **item) -> Message:
    """Check and queue one message; the answer comes at once, the outbox job sends it to Notify."""
    config = current_config(tenant_id=tenant_id)
    found = find_template(tenant_id=tenant_id, template=template)
    message, errors = build_message(tenant_id=tenant_id, config=config, template=found, item=item, purpose=purpose,
                                    essential=essential, postage=postage, reference=reference, metadata_=metadata_,
                                    link=link, sandbox=current_world_is_sandbox())
    if errors:
        code = problems.MISSING_PERSONALISATION if set(errors) == {"personalisation"} else problems.INVALID_RECIPIENT
        raise code("Nothing was queued: fix the fields in `errors`.", errors=errors)
    session.add(message)
    forms = recipients.opt_out_keys(message.channel, message.recipient, message.address)
    if not essential and opted_out(tenant_id=tenant_id, channel=message.channel, purpose=purpose,
                                   keys={forms[0]: forms}):
        message.status = "opted_out"
        session.flush()
        events.OPTED_OUT.emit(tenant_id=tenant_id, subject=str(message.id), data=events.message_data(message, "queued"))
    else:
        session.flush()
        jobs.enqueue(SEND_JOB, {"message_id": str(message.id), "sandbox": message.sandbox}, tenant_id=tenant_id)
    audit.personal_data_changed(component="notify", subject_type="message", ids=[message.id], tenant_id=tenant_id)
    return message


def get_message(*, tenant_id: uuid.UUID, message_id) -> Message:
    message = get_scoped(Message, tenant_id, message_id, what="message")
    audit.personal_data_read(component="notify", subject_type="message", ids=[message.id], tenant_id=tenant_id)
    return message


def list_messages(*, tenant_id: uuid.UUID, status: str | None = None, batch_id=None, template: str | None = None,
                  reference: str | None = None, limit: int = 20, after: str | None = None) -> dict:
    query = scoped(Message, tenant_id)
    if status:
        query = query.where(Message.status == status)
    if batch_id:
        query = query.where(Message.batch_id == batch_id)
    if template:
        query = query.where(Message.template_name == template)
    if reference:
        query = query.where(Message.reference == reference)
    page = paginate(query, Message, limit=limit, after=after)
    audit.personal_data_read(component="notify", subject_type="message", ids=[m.id for m in page["items"]],
                             tenant_id=tenant_id)
    return page


# --- opt-outs ---------------------------------------------------------------------------
def add_opt_out(*, tenant_id: uuid.UUID, channel: str, purpose: str, source: str = "api", **item) -> OptOut:
    recipient, address, errors = recipients.check(channel, item)
    if errors:
        raise problems.INVALID_RECIPIENT("Fix the fields in `errors`.", errors=errors)
    forms = recipients.opt_out_keys(channel, recipient, address)
    key = forms[0]
    same = scoped(OptOut, tenant_id).where(OptOut.channel == channel, OptOut.purpose == purpose)
    existing = sorted(session.scalars(same.where(OptOut.recipient_hash.in_(forms))),
                      key=lambda row: forms.index(row.recipient_hash))
    if existing:  # kept already (under an older key: now rewritten under the current one)
        if existing[0].recipient_hash != key and _rewrite_opt_out(existing[0].id, key):
            session.refresh(existing[0])
        return existing[0]
    opt_out = OptOut(id=uuid.uuid4(), tenant_id=tenant_id, channel=channel, purpose=purpose, recipient_hash=key,
                     key_version=recipients.KEY_VERSION, source=source)
    opt_out.created_now = True  # the route answers 201 for a new opt-out, 200 for one already recorded
    if not insert_once(opt_out):  # the same opt-out recorded at the same moment by another request
        return session.scalars(same.where(OptOut.recipient_hash == key)).one()
    return opt_out


def insert_once(row) -> bool:
    """Insert a row whose unique key another request may be inserting at the same moment: False if it won.

    In a savepoint, so losing the race undoes only this insert (the request goes on and answers as if it
    had come second, as it would have one after the other)."""
    import sqlalchemy.exc

    try:
        with session.begin_nested():
            session.add(row)
    except sqlalchemy.exc.IntegrityError:
        return False
    return True


def lift_opt_outs(*, tenant_id: uuid.UUID, channel: str, purpose: str, **item) -> dict:
    """`notify.lift_opt_outs`: the person consented again, so the opt-outs the consent register recorded for
    this purpose on this channel go (under whichever key each was kept). One the person made by a link, or
    one recorded here through the API, stays: only `DELETE /v1/notify/opt-outs/{id}` removes it."""
    recipient, address, errors = recipients.check(channel, item)
    if errors:
        raise problems.INVALID_RECIPIENT("Fix the fields in `errors`.", errors=errors)
    forms = recipients.opt_out_keys(channel, recipient, address)
    found = list(session.scalars(scoped(OptOut, tenant_id).where(
        OptOut.channel == channel, OptOut.purpose == purpose, OptOut.source == "consent",
        OptOut.recipient_hash.in_(forms))))
    for opt_out in found:
        session.delete(opt_out)
    session.flush()
    if found:
        audit.record("notify.opt_outs_lifted", tenant_id=tenant_id, subject_type="notify_opt_out",
                     detail={"opt_out_ids": [str(o.id) for o in found]})
    return {"lifted": len(found)}


def list_opt_outs(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None) -> dict:
    return paginate(scoped(OptOut, tenant_id), OptOut, limit=limit, after=after)


def delete_opt_out(*, tenant_id: uuid.UUID, opt_out_id) -> None:
    session.delete(get_scoped(OptOut, tenant_id, opt_out_id, what="opt-out", lock=True))
    session.flush()


def check_callback_token(configs: list[Config], token: str | None) -> Config:
    """The configuration whose callback token this is (compared in constant time), else a 401."""
    presented = token_hash(token or "")
    match = None
    for config in configs:  # every one is compared: the time taken does not say which matched
        if config.callback_token_hash and hmac.compare_digest(presented, config.callback_token_hash) and token:
            match = config
    if match is None:
        raise problems.BAD_CALLBACK_TOKEN("The callback's bearer token is not this organisation's.",
                                          headers={"WWW-Authenticate": 'Bearer realm="notify-callbacks"'})
    return match


def not_found_message():
    return not_found("message")
