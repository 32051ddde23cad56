"""The MAGNET services: catalog, participation, transfer, and the gateway in front of them."""
