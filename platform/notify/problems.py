"""The error codes the notify component answers with (generic ones stay the core's)."""
from civic.core.errors import declare

NOT_CONFIGURED = declare(
    "notify_not_configured", 409, "Notify is not set up",
    means="Your organisation has not given the platform its GOV.UK Notify API key yet.",
    action="A tenant admin sets it with PUT /v1/notify/config, then try again.")
INVALID_KEY = declare(
    "notify_key_invalid", 422, "That is not a Notify API key",
    means="A Notify API key is `{key name}-{service id}-{secret}`, where both ids are UUIDs.",
    action="Copy the whole key from Notify's API integration page.")
KEY_REFUSED = declare(
    "notify_key_refused", 422, "Notify refused the API key",
    means="Notify answered 403: the key was revoked, belongs to another service or is wrong.",
    action="Create a new key in Notify and set it with PUT /v1/notify/config.")
NOTIFY_UNAVAILABLE = declare(
    "notify_unavailable", 503, "Notify did not answer",
    means="GOV.UK Notify timed out, was unavailable or answered with an error we could not use.",
    action="Try again in a minute.")
TEMPLATE_NOT_FOUND = declare(
    "notify_template_not_found", 422, "No such template",
    means="The template name or Notify template id is not one of your organisation's templates.",
    action="Register it with POST /v1/notify/templates (GET lists the ones you have).")
TEMPLATE_MISMATCH = declare(
    "notify_template_mismatch", 422, "The template is for another channel",
    means="Notify says this template is of a different type (email, sms or letter) than the one given.",
    action="Use the channel Notify shows for the template.")
MISSING_PERSONALISATION = declare(
    "missing_personalisation", 422, "Personalisation is missing",
    means="The template has placeholders ((like_this)) that the message does not fill in.",
    action="Send every field listed in `errors` in `personalisation`.")
INVALID_RECIPIENT = declare(
    "invalid_recipient", 422, "The recipient is not valid",
    means="The email address, phone number or postal address cannot be sent to.",
    action="Fix the field named in `errors`.")
NOT_CANCELLABLE = declare(
    "batch_not_changeable", 409, "The batch cannot change that way",
    means="A finished or cancelled batch cannot be paused, resumed or cancelled; a running one cannot be resumed.",
    action="Read the batch's status first.")
BAD_CALLBACK_TOKEN = declare(
    "callback_unauthenticated", 401, "Wrong callback token",
    means="The bearer token is not the one set for this organisation's Notify callbacks.",
    action="Set the same token in Notify's callback settings and in PUT /v1/notify/config.")
BAD_UNSUBSCRIBE_LINK = declare(
    "unsubscribe_link_invalid", 404, "This unsubscribe link does not work",
    means="The link is not one the platform made, or it has expired.",
    action="Use the link in a recent message, or contact the organisation that wrote to you.")
BAD_BATCH = declare(
    "batch_invalid", 422, "Some rows of the batch are not valid",
    means="Rows that cannot be sent are listed in `errors` by row number (the first row of recipients is 1).",
    action="Fix those rows and send the batch again; nothing was queued.")
