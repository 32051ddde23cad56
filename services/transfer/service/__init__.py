"""Transfer rules and queries, one module per resource."""

from services.transfer.service.cities import get_city, list_cities

__all__ = ["get_city", "list_cities"]
