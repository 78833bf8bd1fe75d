"""The platform's call when a flow changes: annex A's WebhookCallback, a POST of
`{"flowInfo": Flow}` to the address the firm gave its platform.

The call is a hint, never a source. Nothing it says is stored: it makes the worker read
the firm's flows from the platform at once, with the firm's own credentials, instead of
at the next periodic pass. A call that did not come from the platform can therefore do
no more than make us read sooner. The address holds a secret key of the firm's
platform settings (`Platform.webhook_key`), which the firm may change at any time."""

import hmac
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from facturier.core.actions import action
from facturier.core.errors import Invalid, NotFound
from facturier.firms import audit
from facturier.firms.actions import require_settings_right
from facturier.firms.models import User

from .events import AuditName
from .models import Platform, new_webhook_key
from .tasks import read_statuses

# What the annex's NotOnlyUuid allows: a flow id is 1 to 64 of these.
FLOW_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class InvalidCallback(Invalid):
    code = "invalid_callback"
    default_message = _("The call does not follow annex A's webhook content.")


class UnknownWebhook(NotFound):
    code = "unknown_webhook"
    default_message = _("No e-invoicing platform is set up at this address.")


def platform_at(key: str) -> Platform:
    """The platform whose webhook address holds `key` (compared in constant time)."""
    platform = Platform.objects.filter(webhook_key=key).select_related("firm").first()
    if platform is None or not hmac.compare_digest(platform.webhook_key, key):
        raise UnknownWebhook()
    return platform


def flow_id_of(body: Any) -> str:
    """The changed flow's id, from a body that follows the annex's WebhookCallbackContent."""
    info = body.get("flowInfo") if isinstance(body, dict) else None
    flow_id = info.get("flowId") if isinstance(info, dict) else None
    if not isinstance(flow_id, str) or not FLOW_ID.match(flow_id):
        raise InvalidCallback({"flowInfo": [_("A flow with its flowId is expected.")]})
    return flow_id


def called_back(key: str, body: Any) -> str:
    """The platform says a flow changed: read the firm's flows now (in the worker).
    Returns the flow's id. Writes nothing of the domain: the read does, as every pass."""
    platform = platform_at(key)
    flow_id = flow_id_of(body)
    read_statuses.enqueue(platform.pk)
    return flow_id


@action
def change_webhook_key(platform: Platform, *, by: User) -> Platform:
    """A new address for the platform's calls (the old one answers 404 from now on),
    for when the address leaked; the settings right, audited (the key itself not)."""
    require_settings_right(by)
    if platform.firm_id != by.firm_id:
        raise NotFound()
    platform.webhook_key = new_webhook_key()
    platform.save(update_fields=["webhook_key"])
    audit.record(AuditName.WEBHOOK_CHANGED, platform, by=by, firm_id=platform.firm_id)
    return platform
