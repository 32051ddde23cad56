"""Transfer rules and queries, one module per resource."""

from services.transfer.service.cities import city_exists, get_city, list_cities

__all__ = ["city_exists", "get_city", "list_cities"]
