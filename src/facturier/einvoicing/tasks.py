"""Background entry points (thin): the statuses' read does the work."""

import logging

import httpx
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def read_statuses(platform_id: int) -> int:
    """Read one firm's flows from its platform now (its webhook called): the periodic
    pass's work for that firm alone. Returns how many statuses were new."""
    from . import cdar
    from .actions import read_platform
    from .flows import PlatformError
    from .models import Platform

    platform = Platform.objects.select_related("firm").filter(pk=platform_id).first()
    if platform is None:
        return 0
    try:
        return read_platform(platform)
    except (PlatformError, httpx.HTTPError, OSError, cdar.Unreadable) as exc:
        # The periodic pass reads the same flows again later.
        logger.warning("statuses of %s not read on its platform's call: %s", platform.firm, exc)
        return 0
