"""Steps of an order's life driven over the public API, for end-to-end tests."""

from __future__ import annotations

from typing import Any

import httpx

ADDRESS = {"address": "500 Congress Ave, Austin", "lat": 30.2672, "lng": -97.7431}


async def book_order(
    customer: httpx.AsyncClient,
    admin: httpx.AsyncClient,
    customer_headers: dict[str, str],
    admin_headers: dict[str, str],
) -> dict[str, Any]:
    """An admin-made package, the customer's vehicle and a new pending order."""
    package = await admin.post(
        "/api/packages",
        headers=admin_headers,
        json={"name": f"Wash {id(customer)}", "base_price_cents": 2500, "duration_minutes": 30},
    )
    package.raise_for_status()
    vehicle = await customer.post(
        "/api/vehicles",
        headers=customer_headers,
        json={"make": "Volvo", "model": "V70", "plate": "E2E-1", "size": "medium"},
    )
    vehicle.raise_for_status()
    order = await customer.post(
        "/api/orders",
        headers=customer_headers,
        json={"vehicle_id": vehicle.json()["id"], "package_id": package.json()["id"], **ADDRESS},
    )
    order.raise_for_status()
    return dict(order.json())


async def move(
    client: httpx.AsyncClient, headers: dict[str, str], order_id: int, to: str, **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/api/orders/{order_id}/transitions", headers=headers, json={"to": to, **extra}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
