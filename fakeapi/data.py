"""Deterministic, seeded data for every resource: ids 1 to 10 exist for each of them.

The same seed always gives the same data, so notebook outputs never change between runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

IDS = range(1, 11)

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "Guido"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Allen", "van Rossum"]
CITIES = ["London", "Arlington", "Manchester", "Rotterdam", "Boston", "Stanford", "Paoli", "New Orleans", "Peru",
          "Haarlem"]
ITEMS = ["keyboard", "monitor", "laptop stand", "headphones", "webcam", "desk lamp", "USB hub", "mouse", "chair",
         "notebook"]
ORDER_STATES = ["pending", "paid", "shipped", "delivered"]
PAY_METHODS = ["card", "paypal", "bank transfer"]
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua").split()


@dataclass
class Dataset:
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    settings: dict[int, dict[str, Any]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)
    todos: dict[int, dict[str, Any]] = field(default_factory=dict)

    def user_orders(self, user_id: int) -> list[dict[str, Any]]:
        return [o for o in self.orders if o["user_id"] == user_id]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def make_dataset(seed: int = 0) -> Dataset:
    rng = random.Random(seed)
    data = Dataset()
    for i in IDS:
        first, last = FIRST[i - 1], LAST[i - 1]
        username = (first[0] + last.replace(" ", "")).lower()
        data.users[i] = {
            "id": i,
            "name": f"{first} {last}",
            "username": username,
            "email": f"{username}@example.com",
            "city": CITIES[i - 1],
            "member_since": 2010 + rng.randrange(15),
        }
        data.settings[i] = {
            "user_id": i,
            "theme": rng.choice(["light", "dark"]),
            "language": rng.choice(["en", "fr", "de", "nl", "es"]),
            "timezone": rng.choice(["UTC", "Europe/London", "America/New_York", "Asia/Tokyo"]),
            "notifications": {"email": rng.random() < 0.7, "sms": rng.random() < 0.3},
        }
    for user_id in IDS:
        for _ in range(rng.randint(2, 6)):
            order_id = len(data.orders) + 1
            amount = round(rng.uniform(5, 400), 2)
            data.orders.append({
                "id": order_id,
                "user_id": user_id,
                "item": rng.choice(ITEMS),
                "amount": amount,
                "status": rng.choice(ORDER_STATES),
            })
            data.payments.append({
                "id": order_id,
                "user_id": user_id,
                "order_id": order_id,
                "amount": amount,
                "method": rng.choice(PAY_METHODS),
            })
        for _ in range(rng.randint(1, 3)):
            data.reviews.append({
                "id": len(data.reviews) + 1,
                "user_id": user_id,
                "item": rng.choice(ITEMS),
                "rating": rng.randint(1, 5),
                "text": _sentence(rng, 8),
            })
    for i in IDS:
        data.posts[i] = {"userId": (i - 1) % 10 + 1, "id": i, "title": _sentence(rng, 5).lower(),
                         "body": _sentence(rng, 20)}
        data.todos[i] = {"userId": (i - 1) % 10 + 1, "id": i, "title": _sentence(rng, 4).lower(),
                         "completed": rng.random() < 0.5}
    return data
