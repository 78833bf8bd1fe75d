"""Entries tied to missions: the mission a row names (checked: the entry's client's), or
by default the one the client's engagement in force on the entry's day gives (the
mission with the entry's work code, else its only mission).

Runs in the transaction of the work action that saved the entries (work tells it by
its EntriesSaved event); a refusal rolls the whole batch back. Once committed, the
missions touched have their budgets checked (alerts.py).
"""

import functools
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from facturier.core.converters import row_id
from facturier.core.errors import Invalid
from facturier.work.events import KEEP, EntriesSaved
from facturier.work.models import Entry

from .models import Mission, MissionEntry


def _client_missions(firm_id: int, client_ids: Iterable[int]) -> dict[int, list[Mission]]:
    by_client: dict[int, list[Mission]] = defaultdict(list)
    missions = Mission.objects.filter(
        engagement__firm_id=firm_id, engagement__client_id__in=set(client_ids)
    ).select_related("engagement")
    for mission in missions:
        by_client[mission.engagement.client_id].append(mission)
    return by_client


def default_mission(entry, missions: list[Mission]) -> Mission | None:
    """The mission of the engagement in force on the entry's day: the one with the
    entry's work code, else the only one."""
    active = [
        m
        for m in missions
        if m.engagement.start_date <= entry.day
        and (m.engagement.end_date is None or entry.day <= m.engagement.end_date)
    ]
    matching = [m for m in active if m.work_code_id == entry.work_code_id]
    if len(matching) == 1:
        return matching[0]
    return active[0] if len(active) == 1 else None


def _named(value, firm_id: int, client_missions: list[Mission]) -> tuple[Mission | None, str]:
    """The mission `value` names (an id, or a name among the client's), and else why not."""
    text = str(getattr(value, "pk", value)).strip()
    pk = row_id(text)
    if pk is not None:
        mine = [m for m in client_missions if m.pk == pk]
        if mine:
            return mine[0], ""
        other = Q(pk=pk, engagement__firm_id=firm_id)
        return None, ("other_client" if Mission.objects.filter(other).exists() else "not_found")
    named = [m for m in client_missions if m.name.strip().lower() == text.lower()]
    return (named[0], "") if len(named) == 1 else (None, "not_found")


REFUSALS = {
    "other_client": _("This mission belongs to another client's engagement."),
    "not_found": _("No such mission."),
}
CODES = {"other_client": "mission_of_another_client", "not_found": "not_found"}


def _chosen(entry, asked, firm_id: int, missions: list[Mission], errors: dict, key: str):
    if asked is KEEP:
        link = MissionEntry.objects.filter(entry=entry).select_related("mission__engagement")
        kept = link.first()
        if kept and kept.mission.engagement.client_id == entry.client_id:
            return kept.mission
        return default_mission(entry, missions)
    if asked in (None, "") or str(asked).strip() == "":
        return default_mission(entry, missions)
    mission, why = _named(asked, firm_id, missions)
    if mission is None:
        errors[key] = why
    return mission


LINKS_BATCH = 2000


def on_entries_saved(event: EntriesSaved) -> None:
    """The entries are gone through twice, one at a time (an import's are read back from
    the table as they come): once for their clients, once to tie them."""
    firm_id, client_ids = None, set()
    for entry in event.entries:
        firm_id = entry.firm_id
        client_ids.add(entry.client_id)
    if firm_id is None:
        return
    by_client = _client_missions(firm_id, client_ids)
    named = any(asked not in (None, "", KEEP) for asked in event.missions)
    if not by_client and not named and event.new:
        return  # no engagement for these clients and no mission named: nothing to tie
    errors, touched = _tie(event, firm_id, by_client)
    if errors:
        raise Invalid(
            {key: [str(REFUSALS[why])] for key, why in errors.items()},
            codes={key: [CODES[why]] for key, why in errors.items()},
        )
    if touched:
        from .actions import check_budgets

        transaction.on_commit(
            functools.partial(check_budgets, mission_ids=sorted(touched), firm_id=firm_id),
            robust=True,
        )


def _tie(event: EntriesSaved, firm_id: int, by_client: dict) -> tuple[dict[str, str], set[int]]:
    """Each entry's link to its mission, written as they come for new entries (a refusal
    rolls them back with the rest); the refusals and the missions touched."""
    errors: dict[str, str] = {}
    touched: set[int] = set()
    links = []
    for index, (entry, asked) in enumerate(zip(event.entries, event.missions, strict=True)):
        key = event.prefix.format(index=index) + "mission"
        mission = _chosen(entry, asked, firm_id, by_client[entry.client_id], errors, key)
        if mission is None or errors:
            continue
        links.append(MissionEntry(entry_id=entry.pk, mission=mission))
        touched.add(mission.pk)
        if event.new and len(links) >= LINKS_BATCH:
            MissionEntry.objects.bulk_create(links)
            links = []
    if errors:
        return errors, touched
    if not event.new:
        MissionEntry.objects.filter(entry_id__in=[entry.pk for entry in event.entries]).delete()
    MissionEntry.objects.bulk_create(links, batch_size=LINKS_BATCH)
    return errors, touched


def tie_earlier_entries(engagement) -> None:
    """The client's entries logged within the engagement's term before it was typed, and
    tied to no mission: tied as an entry logged now would be (default_mission), so its
    budgets count the time worked since it began. Budgets checked once committed."""
    missions = list(engagement.missions.all())
    for mission in missions:
        Mission.engagement.field.set_cached_value(mission, engagement)
    entries = Entry.objects.filter(
        client_id=engagement.client_id, day__gte=engagement.start_date, mission_link__isnull=True
    )
    if engagement.end_date is not None:
        entries = entries.filter(day__lte=engagement.end_date)
    links = []
    for entry in entries.only("pk", "day", "work_code_id").iterator(chunk_size=LINKS_BATCH):
        mission = default_mission(entry, missions)
        if mission is not None:
            links.append(MissionEntry(entry_id=entry.pk, mission=mission))
    MissionEntry.objects.bulk_create(links, batch_size=LINKS_BATCH)
    if links:
        from .actions import check_budgets

        touched = sorted({link.mission_id for link in links})
        transaction.on_commit(
            functools.partial(check_budgets, mission_ids=touched, firm_id=engagement.firm_id),
            robust=True,
        )
