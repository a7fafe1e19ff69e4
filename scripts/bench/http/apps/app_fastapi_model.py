"""FastAPI's ``response_model=``: the same record cut down by pydantic models (its idiom)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

app = FastAPI()


class Address(BaseModel):
    street: str
    city: str


class User(BaseModel):
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


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/model/{user_id}", response_model=User)
async def model(user_id: int) -> Any:
    return record(user_id)
