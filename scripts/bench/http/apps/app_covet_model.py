"""Covet's ``response_model=``: an internal record cut down to the public fields (dataclasses)."""

from __future__ import annotations

import dataclasses
from typing import Any

from covet.http import Covet

app = Covet()


@dataclasses.dataclass
class Address:
    street: str
    city: str


@dataclasses.dataclass
class User:
    id: int
    name: str
    email: str
    roles: list[str]
    address: Address


def record(user_id: int) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "roles": ["admin", "author"],
        "address": {"street": "12 St James's Square", "city": "London", "geo": [51.5, -0.13]},
        "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
        "internal_note": "never sent",
    }


@app.get("/plaintext")
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/model/{user_id:int}", response_model=User)
async def model(user_id: int) -> Any:
    return record(user_id)
