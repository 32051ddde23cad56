"""Run by the generated client's own interpreter: read the live stack through the client.

Prints one JSON object: for each answer, the generated model class it parsed into.
"""

from __future__ import annotations

import json
import sys

from magnet_client import Client
from magnet_client.api.catalog import entries_list
from magnet_client.api.events import event_get, events_list
from magnet_client.api.transfer import (
    cities_list,
    indicators_list,
    milestones_list,
    plan_get,
    plans_list,
)


def kind(value: object) -> str:
    return type(value).__name__


def main(base_url: str) -> None:
    client = Client(base_url=base_url, raise_on_unexpected_status=True)
    found: dict[str, object] = {}
    events = events_list.sync(client=client)
    found["events"] = kind(events)
    found["event"] = kind(events.items[0]) if events else None
    if events and events.items:
        found["event_get"] = kind(event_get.sync(event_id=events.items[0].id, client=client))
    entries = entries_list.sync(client=client, q="hub")
    found["entries"] = kind(entries)
    cities = cities_list.sync(client=client)
    found["cities"] = kind(cities)
    found["city"] = kind(cities.items[0]) if cities and cities.items else None
    for city in cities.items if cities else []:
        plans = plans_list.sync(city=city.code, client=client)
        if plans is None or not plans.items:
            continue
        plan = plans.items[0]
        found["plans"] = kind(plans)
        found["plan"] = kind(plan_get.sync(city=city.code, plan_id=plan.id, client=client))
        milestones = milestones_list.sync(city=city.code, plan_id=plan.id, client=client)
        found["milestones"] = kind(milestones)
        found["milestone"] = kind(milestones.items[0]) if milestones and milestones.items else None
        indicators = indicators_list.sync(city=city.code, plan_id=plan.id, client=client)
        found["indicators"] = kind(indicators)
        found["indicator"] = kind(indicators.items[0]) if indicators and indicators.items else None
        break
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
